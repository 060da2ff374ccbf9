/** @type {import('next').NextConfig} */
const nextConfig = {
  // The embedded store is a native addon: it must be required at run time, never bundled.
  serverExternalPackages: ['chdb', '@chdb/lib-linux-x64-gnu', '@clickhouse/client', '@clickhouse/client-common', '@grpc/grpc-js'],
  poweredByHeader: false,
};
export default nextConfig;
