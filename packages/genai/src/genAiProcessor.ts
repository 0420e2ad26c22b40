import { emptyGenAiFields, type GenAiFields, type Span, type TraceBatch, withMeta } from '@llmp/otlp';
import type { Component, Consumer, ProcessorFactory } from '@llmp/pipeline';
import { type GenAiProcessorConfig, genAiProcessorConfig } from './genAiProcessorConfig.ts';
import { type NormalisedSpan, normaliseSpan, readsGenAi } from './normaliseSpan.ts';
import { repositoryPrices } from './priceTable.ts';
import { spanCost } from './spanCost.ts';

export { type GenAiProcessorConfig, genAiProcessorConfig };

/** A span's fields: the normalised ones but the sent cost, then its cost (built at once: a rest and a spread per span showed in profiles). */
function genAiFields(n: NormalisedSpan, cost: ReturnType<typeof spanCost>): GenAiFields {
  return {
    spanType: n.spanType,
    operation: n.operation,
    provider: n.provider,
    requestModel: n.requestModel,
    responseModel: n.responseModel,
    inputTokens: n.inputTokens,
    outputTokens: n.outputTokens,
    cacheReadTokens: n.cacheReadTokens,
    cacheWriteTokens: n.cacheWriteTokens,
    reasoningTokens: n.reasoningTokens,
    inputText: n.inputText,
    outputText: n.outputText,
    sessionId: n.sessionId,
    userId: n.userId,
    costUsd: cost.costUsd,
    costSource: cost.costSource,
    priceId: cost.priceId,
  };
}

/**
 * The `genai` processor: reads every span's GenAI attributes (OpenTelemetry, OpenInference,
 * OpenLLMetry, Vercel AI SDK) into canonical fields, prices them (a cost the app sent wins, else
 * the dated price table), and hands the batch on with them attached (`meta.genAi`, read with genAiOf); the
 * OTLP data itself is not changed. Stateless, so shutdown has nothing to flush.
 * @example const genai = genAiProcessorFactory.create(settings, genAiProcessorConfig.parse({}), exporter);
 */
export const genAiProcessorFactory: ProcessorFactory<GenAiProcessorConfig, TraceBatch> = {
  type: 'genai',
  configSchema: genAiProcessorConfig,
  create(settings, config, next: Consumer<TraceBatch>): Component & Consumer<TraceBatch> {
    const pricing = { prices: repositoryPrices(), overrides: config.prices };
    const options = { maxTextChars: config.maxTextChars };
    // The fields of a span no rule reads anything of (normaliseSpan gives them for no
    // attributes, and spanCost prices no tokens whenever the span started): one frozen object
    // for all such spans instead of three per span (issue 21).
    const nothing = normaliseSpan([], options);
    const plainFields: GenAiFields = Object.freeze(genAiFields(nothing, spanCost(nothing, 0n, pricing)));
    return {
      async start() {},
      async consume(batch) {
        const genAi = new Map<Span, GenAiFields>();
        let failed = 0;
        for (const rs of batch.request().resourceSpans) {
          for (const ss of rs.scopeSpans) {
            for (const span of ss.spans) {
              if (!readsGenAi(span.attributes)) {
                genAi.set(span, plainFields);
                continue;
              }
              try {
                const normalised = normaliseSpan(span.attributes, options);
                genAi.set(
                  span,
                  genAiFields(normalised, spanCost(normalised, span.startTimeUnixNano, pricing)),
                );
              } catch {
                // Normalisation must never cost a span: store it with empty GenAI fields.
                failed++;
                genAi.set(span, emptyGenAiFields());
              }
            }
          }
        }
        if (failed > 0) settings.logger.warn({ failed }, 'spans left without GenAI fields');
        // withMeta keeps what other stages put on the batch (the ingester's dedupToken).
        await next.consume(withMeta(batch, { genAi }));
      },
      async shutdown() {},
    };
  },
};
