import type { KeyValue } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { anyValueJson, anyValueText, attributeColumns, typedAttributes } from './attributeColumns.ts';

const everyType: KeyValue[] = [
  { key: 'string', value: { type: 'string', value: 'gpt-4o' } },
  { key: 'empty_string', value: { type: 'string', value: '' } },
  { key: 'looks_like_int', value: { type: 'string', value: '42' } },
  { key: 'true', value: { type: 'bool', value: true } },
  { key: 'false', value: { type: 'bool', value: false } },
  { key: 'int', value: { type: 'int', value: 42n } },
  { key: 'negative', value: { type: 'int', value: -7n } },
  { key: 'big', value: { type: 'int', value: 2n ** 53n + 1n } },
  { key: 'min', value: { type: 'int', value: -(2n ** 63n) } },
  { key: 'double', value: { type: 'double', value: 0.7 } },
  { key: 'whole_double', value: { type: 'double', value: 3 } },
  { key: 'tiny_double', value: { type: 'double', value: 1e-7 } },
  { key: 'bytes', value: { type: 'bytes', value: new Uint8Array([0, 1, 254, 255]) } },
  {
    key: 'array',
    value: {
      type: 'array',
      value: [
        { type: 'string', value: 'a' },
        { type: 'int', value: 1n },
        { type: 'int', value: 2n ** 60n },
        { type: 'bool', value: false },
        { type: 'empty' },
      ],
    },
  },
  {
    key: 'kvlist',
    value: {
      type: 'kvlist',
      value: [
        { key: 'region', value: { type: 'string', value: 'eu' } },
        {
          key: 'nested',
          value: { type: 'kvlist', value: [{ key: 'retries', value: { type: 'int', value: 3n } }] },
        },
      ],
    },
  },
  { key: 'empty', value: { type: 'empty' } },
];

describe('attributeColumns', () => {
  it('stores every value as text and the type of non-strings', () => {
    const { values, types } = attributeColumns(everyType);
    expect(values).toEqual({
      string: 'gpt-4o',
      empty_string: '',
      looks_like_int: '42',
      true: 'true',
      false: 'false',
      int: '42',
      negative: '-7',
      big: '9007199254740993',
      min: '-9223372036854775808',
      double: '0.7',
      whole_double: '3',
      tiny_double: '1e-7',
      bytes: 'AAH+/w==',
      array: '["a",1,"1152921504606846976",false,null]',
      kvlist: '{"region":"eu","nested":{"retries":3}}',
      empty: '',
    });
    expect(types).toEqual({
      true: 'bool',
      false: 'bool',
      int: 'int',
      negative: 'int',
      big: 'int',
      min: 'int',
      double: 'double',
      whole_double: 'double',
      tiny_double: 'double',
      bytes: 'bytes',
      array: 'array',
      kvlist: 'kvlist',
      empty: 'empty',
    });
  });

  it('round-trips through typedAttributes for every type', () => {
    const { values, types } = attributeColumns(everyType);
    const typed = typedAttributes(values, types);
    expect(typed).toEqual({
      string: 'gpt-4o',
      empty_string: '',
      looks_like_int: '42',
      true: true,
      false: false,
      int: 42,
      negative: -7,
      big: '9007199254740993',
      min: '-9223372036854775808',
      double: 0.7,
      whole_double: 3,
      tiny_double: 1e-7,
      bytes: 'AAH+/w==',
      array: ['a', 1, '1152921504606846976', false, null],
      kvlist: { region: 'eu', nested: { retries: 3 } },
      empty: null,
    });
    // The same JSON values the query API gives for attributes read straight from OTLP.
    expect(typed).toEqual(Object.fromEntries(everyType.map(({ key, value }) => [key, anyValueJson(value)])));
  });

  it('keeps the last value of a repeated key, with its type', () => {
    expect(
      attributeColumns([
        { key: 'k', value: { type: 'int', value: 1n } },
        { key: 'k', value: { type: 'string', value: 'later' } },
      ]),
    ).toEqual({ values: { k: 'later' }, types: {} });
    expect(
      attributeColumns([
        { key: 'k', value: { type: 'string', value: 'first' } },
        { key: 'k', value: { type: 'bool', value: true } },
      ]),
    ).toEqual({ values: { k: 'true' }, types: { k: 'bool' } });
  });

  it('keeps an attribute named __proto__ like any other', () => {
    // Attribute keys come from senders; assigning `__proto__` on a plain object would drop it.
    const { values, types } = attributeColumns([
      { key: '__proto__', value: { type: 'int', value: 1n } },
      { key: 'constructor', value: { type: 'string', value: 'c' } },
    ]);
    expect(Object.keys(values)).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(types)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(values))).toEqual(JSON.parse('{"__proto__":"1","constructor":"c"}'));
    const typed = typedAttributes(values, types);
    expect(Object.keys(typed)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(typed, '__proto__')?.value).toBe(1);
    expect(typed.constructor).toBe('c');
  });

  it('keeps special doubles as the proto3 JSON strings, alone and in arrays (JSON has no NaN)', () => {
    const list: KeyValue[] = [
      { key: 'nan', value: { type: 'double', value: Number.NaN } },
      { key: 'inf', value: { type: 'double', value: Number.POSITIVE_INFINITY } },
      { key: 'ninf', value: { type: 'double', value: Number.NEGATIVE_INFINITY } },
      { key: 'arr', value: { type: 'array', value: [{ type: 'double', value: Number.NaN }] } },
    ];
    const { values, types } = attributeColumns(list);
    expect(JSON.parse(JSON.stringify(typedAttributes(values, types)))).toEqual({
      nan: 'NaN',
      inf: 'Infinity',
      ninf: '-Infinity',
      arr: ['NaN'],
    });
  });
});

describe('typedAttributes', () => {
  it('reads untyped values and unknown types as text', () => {
    expect(typedAttributes({ a: '1', b: 'x' }, { b: 'future-type' })).toEqual({ a: '1', b: 'x' });
  });

  it('keeps malformed array text as text rather than failing', () => {
    expect(typedAttributes({ a: '[1,' }, { a: 'array' })).toEqual({ a: '[1,' });
  });
});

describe('anyValueText', () => {
  it('writes ints exactly', () => {
    expect(anyValueText({ type: 'int', value: 2n ** 63n - 1n })).toBe('9223372036854775807');
  });
});
