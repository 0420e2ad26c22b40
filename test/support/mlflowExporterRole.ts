import type { Topics } from './distributedRoles.ts';
import { type LlmpProcess, startLlmp } from './llmpProcess.ts';

/**
 * Starts `llmp mlflow-exporter` (its default pipelines) reading this suite's otlp_spans topic
 * (and its otlp_logs topic with `logs`) in its own group and uploading to the MLflow server at
 * `trackingUri`, experiment `experiment` for the default project.
 * @example const exporter = await startMlflowExporter({ dataDir, brokers, topics, trackingUri: mlflow.url, experiment: 'llmp-distributed' });
 */
export function startMlflowExporter({
  dataDir,
  brokers,
  topics,
  trackingUri,
  experiment,
  logs = false,
}: {
  dataDir: string;
  brokers: string;
  topics: Topics;
  trackingUri: string;
  experiment: string;
  logs?: boolean;
}): Promise<LlmpProcess> {
  return startLlmp({
    dataDir,
    command: 'mlflow-exporter',
    extraYaml: [
      'kafka:',
      `  brokers: "${brokers}"`,
      '  clientId: llmp-mlflow-test',
      'receivers:',
      '  kafka:',
      `    topic: ${topics.topic}`,
      `    groupId: llmp-mlflow-${topics.groupId}`,
      `    deadLetterTopic: ${topics.deadLetterTopic}`,
      ...(logs
        ? [`    logs: { topic: ${topics.logsTopic}, deadLetterTopic: ${topics.logsDeadLetterTopic} }`]
        : []),
      '    retryOnFailure: { initialInterval: 200ms, maxInterval: 1s }',
      '    sessionTimeout: 6s',
      'exporters:',
      '  mlflow:',
      `    trackingUri: "${trackingUri}"`,
      `    experiments: { default: ${experiment} }`,
    ].join('\n'),
  });
}

/**
 * A `.catch` handler that rethrows `error` with the last `lines` log lines and the stderr of
 * `role`, so a wait that timed out says what the role was doing.
 * @example await eventually(found).catch(withRoleOutput(exporter, 'mlflow-exporter'));
 */
export function withRoleOutput(role: LlmpProcess, name: string, lines = 40): (error: Error) => never {
  return (error) => {
    const logs = role.logs.slice(-lines).map((l) => JSON.stringify(l));
    throw new Error(`${error.message}\n${name} said:\n${logs.join('\n')}\n${role.stderr()}`);
  };
}
