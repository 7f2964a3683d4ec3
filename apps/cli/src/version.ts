// Not the @trainyard/core barrel, which loads the server's framework (~0.4 s): every CLI command
// would pay it before doing anything. cli.e2e checks that a command loads none of it.
// eslint-disable-next-line no-restricted-imports
export { packageVersion } from '../../../libs/core/src/repo-root';
