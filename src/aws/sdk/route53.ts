// The parts of @aws-sdk/client-route-53 this CLI uses. Every import of the client goes through here, so the
// bundle keeps only these commands (and the shapes they need) of the Route 53 client: a plan loads
// less of the SDK. A name missing here is a type error where it is imported.
export {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  RRType,
  Route53Client,
  TestDNSAnswerCommand,
  ThrottlingException,
  waitUntilResourceRecordSetsChanged,
} from '@aws-sdk/client-route-53';
