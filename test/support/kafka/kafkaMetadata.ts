import { connect } from 'node:net';

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * Sends one Kafka Metadata request (v1, no topics) and resolves with the brokers the node
 * reports. A KRaft broker only opens its client listener for requests once it is unfenced, and
 * only lists itself once it is, so a non-empty answer means clients can use it.
 * Hand-encoded so that telling "the broker is up" depends on no client library under test.
 * @example const brokers = await kafkaMetadata({ host: '127.0.0.1', port: 9092 });
 */
export function kafkaMetadata({
  host,
  port,
  timeoutMs = 2_000,
}: {
  host: string;
  port: number;
  timeoutMs?: number;
}): Promise<MetadataBroker[]> {
  const clientId = Buffer.from('llmp-test');
  // Request header v1: api_key 3 (Metadata), api_version 1, correlation_id, client_id;
  // body: topics as an empty array (v1: empty = no topics, null = all topics).
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4);
  let at = request.writeInt32BE(request.length - 4, 0);
  at = request.writeInt16BE(3, at);
  at = request.writeInt16BE(1, at);
  at = request.writeInt32BE(1, at);
  at = request.writeInt16BE(clientId.length, at);
  at += clientId.copy(request, at);
  request.writeInt32BE(0, at);

  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no Metadata response within ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('close', () => reject(new Error('connection closed before a Metadata response')));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.destroy();
      try {
        resolve(parseBrokers(received));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Metadata response v1: size, correlation_id, brokers [node_id, host, port, rack?], … */
function parseBrokers(response: Buffer): MetadataBroker[] {
  let at = 8;
  const count = response.readInt32BE(at);
  at += 4;
  const brokers: MetadataBroker[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = response.readInt32BE(at);
    const hostLength = response.readInt16BE(at + 4);
    const host = response.toString('utf8', at + 6, at + 6 + hostLength);
    at += 6 + hostLength;
    const port = response.readInt32BE(at);
    const rackLength = response.readInt16BE(at + 4);
    at += 6 + Math.max(rackLength, 0);
    brokers.push({ nodeId, host, port });
  }
  return brokers;
}
