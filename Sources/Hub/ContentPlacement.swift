import HubDatabase

/// Where a file's content is: this machine's store, and with `HUB_STORE_BACKEND` also the IPFS
/// backend (`ContentReplica`), from which a machine lacking a DAG fetches it.
struct ContentPlacement: Sendable {
    let content: ContentStore
    let replica: ContentReplica?

    /// With a store backend, the commit's new content is copied there before the commit can land.
    func replicate(_ changes: [FileChange]) async throws {
        guard let replica else { return }
        for case .put(let file) in changes {
            do { try await replica.replicate(file.cid, from: content) } catch {
                throw HubError(.serviceUnavailable, code: .storeBackendUnavailable,
                               "The commit did not land: '\(file.path)' could not be stored on the \(replica.backend.name) backend: \(error)")
            }
        }
    }

    /// Whether content is in this machine's store, or can be brought from the store backend.
    func isStored(_ cid: String) async throws -> Bool {
        if content.contains(cid: cid) { return true }
        guard replica != nil else { return false }
        do { try await ensureLocal(cid) } catch { return false }
        return content.contains(cid: cid)
    }

    /// Before streaming a file: with a store backend, its DAG is fetched when this machine lacks it.
    func ensureLocal(_ cid: String) async throws {
        guard let replica else { return }
        do { try await replica.fetchIfMissing(cid, into: content) } catch {
            throw HubError(.badGateway, code: .storeBackendUnavailable,
                           "\(cid) is not in this machine's store and the \(replica.backend.name) backend could not provide it: \(error)")
        }
    }
}
