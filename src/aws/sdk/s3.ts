// The parts of @aws-sdk/client-s3 this CLI uses. Every import of the client goes through here, so the
// bundle keeps only these commands (and the shapes they need) of the S3 client. A name
// missing here is a type error where it is imported.
export {
  AccessDenied,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  Protocol,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  ServerSideEncryption,
  Type,
} from '@aws-sdk/client-s3';
