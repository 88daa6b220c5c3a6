// libFuzzer target: HTTP Range headers (resolve) and gateway entity-bytes, against the sizes the
// first 8 input bytes give; every range accepted must lie inside the resource.
import FuzzSupport
import Hub

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var raw: UInt64 = 0
    for i in 0..<min(8, size) { raw |= UInt64(data[i]) << (8 * UInt64(i)) }
    let header = String(decoding: UnsafeBufferPointer(start: data + min(8, size), count: size - min(8, size)), as: UTF8.self)
    for resource in [Int64(bitPattern: raw & 0x7fff_ffff_ffff_ffff), Int64(raw & 0xffff), 0, 1, Int64.max] {
        if case .range(let r) = ByteRange.parse(header, size: resource) {
            precondition(r.start >= 0 && r.start <= r.end && r.end < resource, "range \(r) outside \(resource) bytes")
            _ = r.length
        }
        let spec = header.hasPrefix("bytes=") ? String(header.dropFirst(6)) : header
        for known in [resource, nil] as [Int64?] {
            if let r = try? GatewayController.parseEntityBytes(spec, size: known) {
                precondition(r.lowerBound >= 0, "entity-bytes \(r) starts before 0")
                if let known { precondition(r.upperBound < known, "entity-bytes \(r) outside \(known) bytes") }
            }
        }
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzRange_main`; libFuzzer's driver takes it from there.
@_cdecl("FuzzRange_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
