import type { Attributes } from './apiTypes.ts';

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One message of an LLM call, as the chat view shows it. */
export interface ChatMessage {
  role: string;
  text: string;
  toolCalls: ToolCall[];
  /** The call a tool message answers. */
  toolCallId?: string;
}

const asText = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : value === undefined || value === null
      ? ''
      : JSON.stringify(value, null, 2);

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** A message in the OpenTelemetry GenAI shape (`parts`) or the older `{ role, content, tool_calls }` one. */
function toMessage(raw: unknown): ChatMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  const role = typeof m.role === 'string' ? m.role : 'message';
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  let toolCallId: string | undefined;
  if (Array.isArray(m.parts)) {
    for (const part of m.parts as Array<Record<string, unknown>>) {
      if (part?.type === 'tool_call')
        toolCalls.push({ id: asText(part.id), name: asText(part.name), arguments: asText(part.arguments) });
      else if (part?.type === 'tool_call_response') {
        toolCallId = asText(part.id);
        texts.push(asText(part.response ?? part.result));
      } else texts.push(asText(part?.content ?? part?.text ?? part));
    }
  } else {
    if (Array.isArray(m.content))
      for (const c of m.content as Array<Record<string, unknown>>) texts.push(asText(c?.text ?? c));
    else texts.push(asText(m.content));
    const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as Array<Record<string, unknown>>) : [];
    for (const call of calls) {
      const fn = (call.function ?? {}) as Record<string, unknown>;
      toolCalls.push({
        id: asText(call.id),
        name: asText(fn.name ?? call.name),
        arguments: asText(fn.arguments ?? call.arguments),
      });
    }
    if (typeof m.tool_call_id === 'string') toolCallId = m.tool_call_id;
  }
  return {
    role,
    text: texts.filter((t) => t !== '').join('\n'),
    toolCalls,
    ...(toolCallId ? { toolCallId } : {}),
  };
}

/** `role: text` lines, as the store keeps readable input and output; a line without a role continues the message. */
function fromLines(text: string): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_]{2,20}): ?(.*)$/.exec(line);
    if (match) messages.push({ role: match[1]!, text: match[2]!, toolCalls: [] });
    else if (messages.length > 0) messages[messages.length - 1]!.text += `\n${line}`;
    else if (line !== '') messages.push({ role: 'message', text: line, toolCalls: [] });
  }
  return messages;
}

/**
 * The messages of one side of an LLM call: from the structured attribute when the span carries
 * one (`gen_ai.input.messages` / `gen_ai.output.messages`), else from the stored readable text.
 * @example chatMessages(span.attributes, 'gen_ai.input.messages', span.genAi.inputText)
 */
export function chatMessages(attributes: Attributes, key: string, fallbackText: string): ChatMessage[] {
  const parsed = parseJson(attributes[key]);
  if (Array.isArray(parsed)) {
    const messages = parsed.map(toMessage).filter((m): m is ChatMessage => m !== undefined);
    if (messages.length > 0) return messages;
  }
  return fromLines(fallbackText);
}
