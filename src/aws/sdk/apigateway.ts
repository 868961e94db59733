// The parts of @aws-sdk/client-api-gateway this CLI uses. Every import of the client goes through here, so the
// bundle keeps only these commands (and the shapes they need) of the API Gateway client: a plan loads
// less of the SDK. A name missing here is a type error where it is imported.
export {
  APIGatewayClient,
  ConflictException,
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  GetAuthorizerCommand,
  GetAuthorizersCommand,
  GetRestApiCommand,
  GetStageCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutMethodCommand,
  ServiceUnavailableException,
  TooManyRequestsException,
  UnauthorizedException,
  UpdateAuthorizerCommand,
  UpdateRestApiCommand,
  UpdateStageCommand,
  paginateGetRestApis,
} from '@aws-sdk/client-api-gateway';
