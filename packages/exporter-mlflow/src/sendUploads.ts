import { encodeProtobufRequest } from '@llmp/otlp';
import { type EventMessages, withEventMessages } from './eventMessages.ts';
import type { JobNames } from './jobNames.ts';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import { placeUploads, type TracePlaces } from './placeUploads.ts';
import { byExperiment, setUploadTag, type TraceUpload, tagKeys } from './traceUploads.ts';

/**
 * Sends uploads to MLflow: one OTLP request per experiment, then the late tags. MLflow keys
 * spans by trace and span id, so sending the same spans again never doubles them. With
 * `jobNames`, the job's name in the jobs table wins over a `llmp.job.name` span attribute. With
 * `places`, each trace goes to the experiment of its job whatever order its spans come in
 * (placeUploads); each upload's `experimentId` says where it went. With `eventMessages`, spans
 * without text of their own get the messages of their GenAI event records (withEventMessages).
 * @example await sendUploads(mlflow, traceUploads(batch, config.experiments), { jobNames, places });
 */
export async function sendUploads(
  api: MlflowApi,
  uploads: TraceUpload[],
  {
    jobNames,
    places,
    eventMessages,
  }: {
    jobNames?: JobNames | undefined;
    places?: TracePlaces | undefined;
    eventMessages?: EventMessages | undefined;
  } = {},
): Promise<void> {
  if (jobNames) {
    for (const upload of uploads) {
      if (upload.jobId === undefined) continue;
      const name = await jobNames(upload.projectId, upload.jobId);
      if (name !== undefined) setUploadTag(upload, tagKeys.jobName, name);
    }
  }
  if (places) await placeUploads(api, uploads, places);
  // Read at each attempt: records stored since the last one are sent too.
  if (eventMessages) await withEventMessages(uploads, eventMessages);
  for (const upload of uploads) upload.experimentId ??= await api.experimentId(upload.experiment);
  for (const { experimentId, request } of byExperiment(uploads)) {
    await api.exportTraces(experimentId, encodeProtobufRequest(request));
  }
  for (const upload of uploads) {
    for (const [key, value] of Object.entries(upload.lateTags)) {
      await api.setTraceTag(mlflowTraceId(upload.traceId), key, value);
    }
  }
}
