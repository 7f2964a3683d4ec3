// Before jest: the job launcher (and its per-job monitor) is a C binary; build it when its source changed.
const { buildLauncher } = require('./build-launcher');

module.exports = () => buildLauncher();
