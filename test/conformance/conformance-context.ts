// Moved to src/testing with the conformance suite (a new case file goes there, into its CONFORMANCE_CASES list).
export type * from '../../src/testing/conformance-context.js';
