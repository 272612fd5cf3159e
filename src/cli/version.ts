// Kept in step with package.json by scripts/build.mjs (checked in check-dist).
export const VERSION = '0.1.0';
