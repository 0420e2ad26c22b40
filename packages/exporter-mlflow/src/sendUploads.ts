import { encodeProtobufRequest } from '@llmp/otlp';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import { byExperiment, type TraceUpload } from './traceUploads.ts';

/**
 * Sends uploads to MLflow: one OTLP request per experiment, then the late tags. MLflow keys
 * spans by trace and span id, so sending the same spans again never doubles them.
 * @example const experimentIds = await sendUploads(mlflow, traceUploads(batch, config.experiments));
 */
export async function sendUploads(api: MlflowApi, uploads: TraceUpload[]): Promise<Map<string, string>> {
  const experimentIds = new Map<string, string>();
  for (const { experiment, request } of byExperiment(uploads)) {
    const id = await api.experimentId(experiment);
    await api.exportTraces(id, encodeProtobufRequest(request));
    experimentIds.set(experiment, id);
  }
  for (const upload of uploads) {
    for (const [key, value] of Object.entries(upload.lateTags)) {
      await api.setTraceTag(mlflowTraceId(upload.traceId), key, value);
    }
  }
  return experimentIds;
}
