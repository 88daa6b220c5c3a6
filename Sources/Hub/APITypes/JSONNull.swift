/// A key the Hugging Face Hub sends as JSON `null` (clients expect it to be present).
struct JSONNull: Encodable, Sendable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}
