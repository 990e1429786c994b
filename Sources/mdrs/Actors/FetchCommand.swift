import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSProtocol

/// `mdrs fetch`: a member of staff fetches a record with a grant token, and checks the bytes
/// against the hash anchored on-chain.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Staff: fetch a record with a grant token; verifies its SHA-256 against the on-chain anchor.",
        discussion: """
            The record and its encrypted address are read from the chain by the token, unless --address is given. \
            Without --gateway, the record's hospital's gateway is the one its custodian published on-chain.
            """)

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "The gateway's base URL (default: the one the record's hospital published on-chain).") var gateway: String?
    @Option(help: "The grant token.") var token: String?
    @Option(help: "Break the glass: the id of the emergency you declared (mdrs emergency declare), in place of a grant token.")
    var emergency: String?
    @Option(help: "With --emergency: the justification's text, exactly as declared.") var justification: String?
    @Option(help: "The encrypted address (default: the one anchored on-chain).") var address: String?
    @Option(help: "Purpose of use (HL7 code; ETREAT with --emergency).") var purpose: String?
    @Option(help: "Write the record here ('-' for stdout).") var out = "-"
    @Option(help: "An HTTP byte range, e.g. bytes=0-1023 (no hash check then).") var range: String?

    func validate() throws {
        guard (token == nil) != (emergency == nil) else { throw ValidationError("give --token (a grant) or --emergency (a declared emergency)") }
        guard (emergency == nil) == (justification == nil) else { throw ValidationError("--emergency and --justification go together") }
    }

    func run() async throws {
        let key = try key.load()
        let token = try emergency.map { try bytes32($0, "--emergency") } ?? bytes32(token ?? "", "--token")
        let code = purpose ?? (emergency == nil ? "TREAT" : "ETREAT")
        guard let purpose = PurposeOfUse(code: code) else { throw ValidationError("unknown purpose \(code)") }
        try await chain.withClient { ethereum, httpClient in
            let (client, anchor) = try await staffFetch(
                chain, ethereum, httpClient, key: key, gateway: gateway, token: token, emergency: emergency != nil)
            // Received into a private staging file (mode 0600, never an existing file), checked
            // against the chain, and only then moved to --out or copied to stdout: unverified
            // patient data never reaches its destination.
            let staging = try StagingFile(besides: out == "-" ? NSTemporaryDirectory() + "mdrs-fetch" : out)
            defer { staging.remove() }
            let progress = TerminalProgress("fetched")
            let result = try await client.fetch(
                token: token, encryptedAddress: self.address ?? encryptedAddressText(anchor.encryptedAddress), purpose: purpose,
                justification: justification, range: range, to: staging.path, progress: progress.report)
            progress.finish()
            if range == nil {
                guard result.sha256 == anchor.contentHash else {
                    throw ValidationError("the bytes received do not match the on-chain anchor (sha256 \(result.sha256), anchored \(anchor.contentHash)); nothing was written")
                }
            }
            try staging.deliver(to: out)
            let what = range == nil ? "\(result.size) bytes; sha256 matches the on-chain anchor \(anchor.contentHash)" : "\(result.size) bytes of the range"
            FileHandle.standardError.write(Data("fetched \(what) (request \(result.requestId ?? "?"))\n".utf8))
        }
    }
}

/// What a staff fetch by `token` needs: the record's anchor, read from the chain by the grant
/// (or, with `emergency`, by the declared emergency whose id `token` is), and a client of
/// `gateway`, checked to be the chain's and contract's, and the record's custodian.
func staffFetch(
    _ chain: ChainOptions, _ ethereum: EthereumClient, _ httpClient: HTTPClient, key: any DigestSigner, gateway: String?, token: Bytes32,
    emergency: Bool = false
) async throws -> (GatewayClient, AnchoredRecord) {
    let contract = try chain.contract(ethereum)
    let recordId: Bytes32
    if emergency {
        guard let declared = try await contract.emergency(token) else { throw ValidationError("no emergency was declared with this id") }
        recordId = declared.recordId
    } else {
        guard let grant = try await contract.grant(token) else { throw ValidationError("no grant has this token") }
        recordId = grant.recordId
    }
    guard let anchor = try await contract.record(recordId) else { throw ValidationError("the record is not anchored") }
    let url: String
    var hospital = "the gateway"
    if let gateway {
        url = gateway
    } else {
        do {
            let found = try await ConsortiumDirectory(contract: contract).gateway(of: anchor.custodian)
            url = found.url
            hospital = "\(found.hospital.name)'s gateway"
        } catch let error as GatewayError {
            throw ValidationError(error.message)
        }
    }
    let client: GatewayClient
    do {
        client = try await GatewayClient(
            baseURL: url, key: key, httpClient: httpClient, expectedChainId: try await ethereum.chainId(),
            expectedContract: contract.address)
    } catch let error as GatewayClientError {
        throw ValidationError("\(hospital) at \(url): \(error.message)")
    } catch {
        throw ValidationError("cannot reach \(hospital) at \(url): \(error)")
    }
    guard client.info.custodian == anchor.custodian.checksummed else {
        throw ValidationError("the gateway is custodian \(client.info.custodian), the record is held by \(anchor.custodian)")
    }
    return (client, anchor)
}
