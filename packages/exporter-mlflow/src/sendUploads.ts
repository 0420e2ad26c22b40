import { encodeProtobufRequest } from '@llmp/otlp';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import { byExperiment, setUploadTag, type TraceUpload, tagKeys } from './traceUploads.ts';

/**
 * Sends uploads to MLflow: one OTLP request per experiment, then the late tags. MLflow keys
 * spans by trace and span id, so sending the same spans again never doubles them. With
 * `jobNames`, the job's name in the jobs table wins over a `llmp.job.name` span attribute.
 * @example const experimentIds = await sendUploads(mlflow, traceUploads(batch, config.experiments), jobNames);
 */
export async function sendUploads(
  api: MlflowApi,
  uploads: TraceUpload[],
  jobNames?: JobNames,
): Promise<Map<string, string>> {
  if (jobNames) {
    for (const upload of uploads) {
      if (upload.jobId === undefined) continue;
      const name = await jobNames(upload.projectId, upload.jobId);
      if (name !== undefined) setUploadTag(upload, tagKeys.jobName, name);
    }
  }
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
