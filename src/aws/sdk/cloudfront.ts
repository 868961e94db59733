// The parts of @aws-sdk/client-cloudfront this CLI uses. Every import of the client goes through here, so the
// bundle keeps only these commands (and the shapes they need) of the CloudFront client. A name
// missing here is a type error where it is imported.
export {
  AccessDenied,
  CloudFrontClient,
  CreateDistributionCommand,
  GetDistributionCommand,
  ListDistributionsCommand,
  Method,
  NoSuchDistribution,
  ViewerProtocolPolicy,
  paginateListDistributions,
  waitUntilDistributionDeployed,
} from '@aws-sdk/client-cloudfront';
