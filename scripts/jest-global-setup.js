// Before jest: the launcher's per-job monitor is a C binary; build it when its source changed.
const { buildMonitor } = require('./build-monitor');

module.exports = () => buildMonitor();
