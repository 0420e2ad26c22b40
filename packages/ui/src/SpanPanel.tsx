import type { Attributes, Span } from './apiTypes.ts';
import { type ChatMessage, chatMessages } from './chatMessages.ts';
import { attributeText, formatCost, formatDuration, formatTime } from './format.ts';
import { Link } from './router.tsx';

function AttributeTable({ attributes, id }: { attributes: Attributes; id?: string }) {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return <p class="muted">none</p>;
  return (
    <table class="attributes" id={id}>
      <tbody>
        {keys.map((key) => (
          <tr>
            <th>{key}</th>
            <td>{attributeText(attributes[key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Chat({ messages, side }: { messages: ChatMessage[]; side: 'input' | 'output' }) {
  return (
    <div class={`chat ${side}`}>
      {messages.map((m) => (
        <div class={`message role-${m.role}`}>
          <div class="role">
            {m.role}
            {m.toolCallId ? ` (answers ${m.toolCallId})` : ''}
          </div>
          {m.text && <div class="text">{m.text}</div>}
          {m.toolCalls.map((call) => (
            <div class="tool-call">
              <div class="tool-name">
                tool call <b>{call.name}</b> <span class="muted">{call.id}</span>
              </div>
              <pre>{call.arguments}</pre>
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

function GenAi({ span }: { span: Span }) {
  const g = span.genAi;
  const input = chatMessages(span.attributes, 'gen_ai.input.messages', g.inputText);
  const output = chatMessages(span.attributes, 'gen_ai.output.messages', g.outputText);
  const tool = span.attributes['gen_ai.tool.name'];
  return (
    <section class="genai">
      <h4>LLM</h4>
      <dl class="facts">
        <dt>Model</dt>
        <dd id="genai-model">
          {g.responseModel ?? g.requestModel ?? '—'}
          {g.responseModel && g.requestModel && g.responseModel !== g.requestModel && (
            <span class="muted"> (asked {g.requestModel})</span>
          )}
        </dd>
        <dt>Provider</dt>
        <dd>{g.provider ?? '—'}</dd>
        {g.operation && (
          <>
            <dt>Operation</dt>
            <dd>{g.operation}</dd>
          </>
        )}
        <dt>Tokens</dt>
        <dd id="genai-tokens">
          {g.inputTokens} in / {g.outputTokens} out
          {g.cacheReadTokens > 0 && ` · ${g.cacheReadTokens} cache read`}
          {g.cacheWriteTokens > 0 && ` · ${g.cacheWriteTokens} cache write`}
          {g.reasoningTokens > 0 && ` · ${g.reasoningTokens} reasoning`}
        </dd>
        <dt>Cost</dt>
        <dd id="genai-cost">
          {formatCost(g.costUsd)}
          {g.costSource && (
            <span class="muted">
              {' '}
              ({g.costSource}
              {g.priceId ? `: ${g.priceId}` : ''})
            </span>
          )}
        </dd>
      </dl>
      {typeof tool === 'string' && (
        <div class="tool-call">
          <div class="tool-name">
            tool <b>{tool}</b>
          </div>
          {span.attributes['gen_ai.tool.call.arguments'] !== undefined && (
            <pre>{attributeText(span.attributes['gen_ai.tool.call.arguments'])}</pre>
          )}
          {span.attributes['gen_ai.tool.call.result'] !== undefined && (
            <pre>{attributeText(span.attributes['gen_ai.tool.call.result'])}</pre>
          )}
        </div>
      )}
      {input.length > 0 && (
        <>
          <h4>Input</h4>
          <Chat messages={input} side="input" />
        </>
      )}
      {output.length > 0 && (
        <>
          <h4>Output</h4>
          <Chat messages={output} side="output" />
        </>
      )}
    </section>
  );
}

/**
 * Everything about one span: timing and status, GenAI fields (chat, tool calls, tokens, cost,
 * model), job, attributes, resource, events and links.
 * @example <SpanPanel span={span} />
 */
export function SpanPanel({ span }: { span: Span }) {
  const isGenAi =
    span.spanType !== null || span.genAi.requestModel !== null || span.genAi.responseModel !== null;
  return (
    <aside class="span-panel" id="span-panel">
      <h3>{span.name}</h3>
      <dl class="facts">
        <dt>Span</dt>
        <dd class="mono">{span.spanId}</dd>
        <dt>Kind</dt>
        <dd>{span.kind}</dd>
        <dt>Service</dt>
        <dd>{span.serviceName}</dd>
        <dt>Start</dt>
        <dd>{formatTime(span.startTime)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(span.durationNs)}</dd>
        <dt>Status</dt>
        <dd class={span.status.code === 'ERROR' ? 'error' : ''}>
          {span.status.code}
          {span.status.message && `: ${span.status.message}`}
        </dd>
        {span.jobId && (
          <>
            <dt>Job</dt>
            <dd id="span-job">
              {span.jobId}
              {span.jobVersion && ` v${span.jobVersion}`}
              {span.jobType && <span class="muted"> ({span.jobType})</span>}
            </dd>
          </>
        )}
        {span.sessionId && (
          <>
            <dt>Session</dt>
            <dd>{span.sessionId}</dd>
          </>
        )}
        {span.userId && (
          <>
            <dt>User</dt>
            <dd>{span.userId}</dd>
          </>
        )}
      </dl>
      {isGenAi && <GenAi span={span} />}
      <h4>Attributes</h4>
      <AttributeTable attributes={span.attributes} id="span-attributes" />
      <h4>Events</h4>
      {span.events.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        span.events.map((event) => (
          <div class="event">
            <div>
              <b>{event.name}</b> <span class="muted">{formatTime(event.time)}</span>
            </div>
            {Object.keys(event.attributes).length > 0 && <AttributeTable attributes={event.attributes} />}
          </div>
        ))
      )}
      <h4>Links</h4>
      {span.links.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        span.links.map((link) => (
          <div class="link-item">
            <Link href={`/traces/${link.traceId}?span=${link.spanId}`}>
              {link.traceId} / {link.spanId}
            </Link>
            {Object.keys(link.attributes).length > 0 && <AttributeTable attributes={link.attributes} />}
          </div>
        ))
      )}
      <h4>Resource</h4>
      <AttributeTable attributes={span.resourceAttributes} />
    </aside>
  );
}
