// The parts of @aws-sdk/client-sts this CLI uses. Every import of the client goes through here, so the
// bundle keeps only these commands (and the shapes they need) of the STS client: a plan loads
// less of the SDK. A name missing here is a type error where it is imported.
export {
  ExpiredTokenException,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
