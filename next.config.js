/** @type {import('next').NextConfig} */
const nextConfig = {
  // The embedded store is a native addon: it must be required at run time, never bundled.
  serverExternalPackages: ['chdb', '@chdb/lib-linux-x64-gnu', '@clickhouse/client', '@clickhouse/client-common', '@grpc/grpc-js'],
  poweredByHeader: false,
  // `npm test` type-checks the whole tree (tsc --noEmit); the build need not do it again.
  typescript: { ignoreBuildErrors: true },
};
export default nextConfig;
