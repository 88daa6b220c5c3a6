/// Produces the pack for a fetch straight into side-band packets, reading
/// one object at a time from the repository, so peak memory is the
/// compressed pack rather than every object's content at once.
struct PackStream {
    /// side-band (not -64k) allows only 1000-byte packets.
    enum Framing { case sideBand64k, sideBand, none }

    static func write(ids: [(id: ObjectID, type: ObjectType)], repository: any GitRepository,
                      framing: Framing, progress: Bool, into out: ResponseSink) async throws {
        let chunk = framing == .sideBand ? 995 : SideBand.maxChunk
        out.sideBandActive = framing != .none
        if progress, framing != .none {
            try await out.write(framed(Array("Enumerating objects: \(ids.count), done.\n".utf8), band: .progress, chunk: chunk, framing: framing))
        }
        var writer = PackWriter(objectCount: ids.count)
        var pending: [UInt8] = []
        for (id, expectedType) in ids {
            guard let obj = try await repository.object(id) else { throw ObjectWalkError.missingObject(id) }
            guard obj.type == expectedType else { throw GitObjectError.wrongType(expected: expectedType, actual: obj.type) }
            writer.append(obj)
            pending += writer.takeBytes()
            if pending.count >= chunk * 4 {
                try await out.write(framed(pending, band: .data, chunk: chunk, framing: framing))
                pending.removeAll(keepingCapacity: true)
            }
        }
        pending += writer.finish()
        try await out.write(framed(pending, band: .data, chunk: chunk, framing: framing))
        if progress, framing != .none {
            try await out.write(framed(Array("Total \(ids.count) (delta 0), reused 0 (delta 0)\n".utf8), band: .progress, chunk: chunk, framing: framing))
        }
    }

    private static func framed(_ bytes: [UInt8], band: SideBand, chunk: Int, framing: Framing) -> [UInt8] {
        var out: [UInt8] = []
        switch framing {
        case .none:
            if band == .data { out += bytes }
        case .sideBand64k, .sideBand:
            var i = 0
            while i < bytes.count {
                let n = min(chunk, bytes.count - i)
                out += PktLine.lengthPrefix(n + 5)
                out.append(band.rawValue)
                out += bytes[i..<(i + n)]
                i += n
            }
        }
        return out
    }
}
