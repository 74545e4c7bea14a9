// Moved to src/testing with the conformance suite; the package's own specs keep importing it from here.
export * from '../../src/testing/change-recorder.js';
