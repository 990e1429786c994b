import Testing

/// The suites that start processes, PostgreSQL clusters and dev chains of their own and inject
/// faults into them (kill -9, a database crash, a promotion, a restore, SIGTERM under load). They
/// run one test at a time: on two cores, several of them at once (each a cluster, a chain and
/// gateway processes) starve every other test of CPU, and their own measured bounds stop
/// meaning anything.
@Suite("Process faults, one at a time", .serialized)
struct ProcessFaultSuites {}

typealias DatabaseFaultTests = ProcessFaultSuites.DatabaseFaultTests
typealias EmergencyAccessTests = ProcessFaultSuites.EmergencyAccessTests
