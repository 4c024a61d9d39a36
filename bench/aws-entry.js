// What an app ships to upload with the AWS SDK: the S3 client and lib-storage's Upload.
// `npm run bench` bundles this with esbuild (minified) for the page and to measure its size.
export { S3Client } from '@aws-sdk/client-s3';
export { Upload } from '@aws-sdk/lib-storage';
