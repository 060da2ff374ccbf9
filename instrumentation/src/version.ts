// Kept equal to package.json by test/version.test.ts (reading package.json at run time would
// need import.meta in one build and __dirname in the other).
export const PACKAGE_NAME = '@payscope/instrumentation';
export const PACKAGE_VERSION = '0.1.0';
