// The parts of @aws-sdk/client-cloudwatch this CLI uses. Every import of the client goes through here, so the
// bundle keeps only these commands (and the shapes they need) of the CloudWatch client. A name
// missing here is a type error where it is imported.
export {
  CloudWatchClient,
  ConflictException,
  DescribeAlarmsCommand,
  ResourceNotFoundException,
  StateValue,
} from '@aws-sdk/client-cloudwatch';
