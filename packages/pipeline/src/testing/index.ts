export { type FailingConsumer, type FailingConsumerOptions, failingConsumer } from './failingConsumer.ts';
export { nopHost, nopSettings } from './nopSettings.ts';
export { type SinkConsumer, sinkConsumer } from './sinkConsumer.ts';
