/**
 * Valid ids chosen to break careless storage: SQL and LIKE metacharacters, placeholder syntax of knex/pg,
 * near-prefix pairs, unicode (combining, astral, above the surrogate range), and the names of
 * `Object.prototype` members, which a plain-object lookup would find on an empty clock.
 */
export const SQL_TEXT_IDS = [
  `'; DROP TABLE sync_documents; --`,
  `' OR 1=1 --`,
  `"; DELETE FROM sync_deltas; --`,
  '%',
  '_',
  '\\',
  'a%b',
  'a_b',
  '\\%',
  '?',
  '??',
  '$1',
  ':id',
] as const;

export const NEAR_PREFIX_IDS = ['doc1', 'doc10', 'doc1 ', 'doc', 'Doc1'] as const;

export const UNICODE_IDS = [
  '\u00e9', // é precomposed
  'e\u0301', // é as e + combining acute
  '\u{1F600}', // astral: a surrogate pair in UTF-16
  '\uFFFD',
  '\uE000', // above the surrogates: sorts before astral characters by code point, after them by UTF-16 unit
  'line\nbreak\ttab',
  '\u{1F600}'.repeat(255), // the longest id: 255 code points, 510 UTF-16 units
] as const;

export const PROTOTYPE_IDS = ['constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;

/** Document ids of the model-based runs: every kind above, few enough that calls collide on the same documents. */
export const DOCUMENT_ID_POOL: readonly string[] = [
  ...NEAR_PREFIX_IDS.slice(0, 3),
  ...SQL_TEXT_IDS.slice(0, 7),
  ...UNICODE_IDS.slice(0, 5),
  UNICODE_IDS[6],
  'constructor',
  '__proto__',
];

/** Client ids (vector clock keys): a small pool so that clocks overlap and cover each other often. */
export const CLIENT_ID_POOL: readonly string[] = [
  'a',
  'a1',
  'a10',
  `o'brien`,
  '%_\\',
  '\u{1F984}',
  'constructor',
  '__proto__',
];

/** Delta ids: small, so resends of an id already stored are frequent. */
export const DELTA_ID_POOL: readonly string[] = ['d1', 'd10', 'd2', `'; --`, '%', '_', '\u{1F600}', 'toString'];

/** Connection ids of awareness entries. */
export const CONNECTION_ID_POOL: readonly string[] = ['conn-1', 'conn-10', `' OR 1=1 --`, '__proto__'];

/** Strings that JSON payloads must carry through unchanged. */
export const TRICKY_STRINGS: readonly string[] = [
  '',
  '\u0000',
  'a\u0000b',
  '\uD800', // lone high surrogate
  'x\uDFFFy', // lone low surrogate
  '\uDBFF\uDFFF', // the last code point
  '\u{1F600}',
  `'; DROP TABLE sync_deltas; --`,
  '%_\\',
  '\\u0000', // the escape as text
  '?? $1',
];
