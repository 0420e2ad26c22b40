/**
 * The sum of `llmp_receiver_accepted_spans_total`'s series on an llmp process's `/metrics`: the
 * spans its receivers accepted (in the all-in-one, answered once stored).
 * @example const before = await acceptedSpans(llmp.apiPort);
 */
export async function acceptedSpans(apiPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('llmp_receiver_accepted_spans_total'))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
