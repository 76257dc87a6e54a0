import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Native / driver packages stay plain Node requires on the server.
  serverExternalPackages: ["better-sqlite3", "pg"],
  // This example lives inside a Python repository: trace files from this folder only.
  outputFileTracingRoot: here,
  // No ESLint in this example's dependencies; `npm run typecheck` and `next build` still type-check.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
