// The suite's helpers moved to src/testing (the public kit, `nest-sync-storage/testing`); the package's own
// specs keep importing them from here.
export * from '../../src/testing/conformance-helpers.js';
