import type { AnyValue } from './traceModel.ts';

/** An OTLP value as plain JS (ints as numbers; exactness does not matter for text). */
export function plainValue(value: AnyValue): unknown {
  switch (value.type) {
    case 'string':
    case 'bool':
    case 'double':
      return value.value;
    case 'int':
      return Number(value.value);
    case 'bytes':
      return '';
    case 'array':
      return value.value.map(plainValue);
    case 'kvlist':
      return Object.fromEntries(value.value.map((kv) => [kv.key, plainValue(kv.value)]));
    case 'empty':
      return null;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * How a tool call reads in a span's input or output text: `[tool_call name arguments]`.
 * @example toolCallText('get_weather', '{"city":"Paris"}') // '[tool_call get_weather {"city":"Paris"}]'
 */
export function toolCallText(name: string, args: unknown): string {
  const text =
    typeof args === 'string' ? args.trim() : args === undefined || args === null ? '' : JSON.stringify(args);
  return `[tool_call${name ? ` ${name}` : ''}${text && text !== '{}' ? ` ${text}` : ''}]`;
}

/** A tool call as OpenAI (`{function: {name, arguments}}`) or flat (`{name, arguments}`) shapes send it. */
function callText(call: unknown): string {
  if (!isRecord(call)) return '';
  const fn = isRecord(call.function) ? call.function : call;
  return toolCallText(typeof fn.name === 'string' ? fn.name : '', fn.arguments);
}

/** Text of a message's content: a string, or parts (OTel `parts`, AI SDK / OpenAI content arrays). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    return content === undefined || content === null ? '' : JSON.stringify(content);
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      if (!isRecord(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (typeof part.content === 'string') return part.content;
      // A tool call is what the model said: name and arguments. Images, files: name the part
      // rather than dump its payload.
      if (part.type === 'tool_call' || part.type === 'tool-call' || part.type === 'function_call')
        return toolCallText(
          typeof part.name === 'string' ? part.name : String(part.toolName ?? ''),
          part.arguments ?? part.args ?? part.input,
        );
      const name = typeof part.name === 'string' ? ` ${part.name}` : '';
      return `[${typeof part.type === 'string' ? part.type : 'part'}${name}]`;
    })
    .filter((t) => t !== '')
    .join('\n');
}

function messageText(message: unknown): string {
  if (!isRecord(message)) return typeof message === 'string' ? message : '';
  let text = contentText(message.parts ?? message.content);
  // OpenAI's chat shape keeps an answer's tool calls beside its (then null) content.
  if (Array.isArray(message.tool_calls)) {
    const calls = message.tool_calls.map(callText).filter((t) => t !== '');
    text = [text, ...calls].filter((t) => t !== '').join('\n');
  }
  return typeof message.role === 'string' && message.role !== '' ? `${message.role}: ${text}` : text;
}

const looksLikeMessage = (v: unknown) => isRecord(v) && ('role' in v || 'parts' in v || 'content' in v);

/**
 * Readable text of a message list as conventions send it: OTel `gen_ai.input.messages` (JSON
 * array of `{role, parts}`), AI SDK `ai.prompt` (`{system, prompt | messages}`), or plain text,
 * which is returned as it is.
 * @example renderMessages('[{"role":"user","parts":[{"type":"text","content":"hi"}]}]') // 'user: hi'
 */
export function renderMessages(value: unknown): string {
  let parsed = value;
  if (typeof value === 'string') {
    const start = value.trimStart()[0];
    if (start !== '[' && start !== '{') return value;
    try {
      parsed = JSON.parse(value);
    } catch {
      return value;
    }
  }
  if (Array.isArray(parsed)) {
    if (!parsed.every((m) => looksLikeMessage(m) || typeof m === 'string')) return raw(value);
    return parsed.map(messageText).join('\n');
  }
  if (isRecord(parsed)) {
    const lines: string[] = [];
    if (typeof parsed.system === 'string') lines.push(`system: ${parsed.system}`);
    if (Array.isArray(parsed.messages)) lines.push(...parsed.messages.map(messageText));
    else if (typeof parsed.prompt === 'string') lines.push(parsed.prompt);
    else if (looksLikeMessage(parsed)) lines.push(messageText(parsed));
    if (lines.length > 0) return lines.join('\n');
  }
  return raw(value);
}

const raw = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
