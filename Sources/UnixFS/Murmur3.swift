/// MurmurHash3 x64 128-bit, seed 0: UnixFS HAMTs (hashType 0x22) use its first 64 bits
/// (h1), read as big-endian bytes, to place names.
enum Murmur3 {
    static func x64_128(_ data: [UInt8], seed: UInt64 = 0) -> (h1: UInt64, h2: UInt64) {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5
        let c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1 = seed
        var h2 = seed
        let len = data.count
        let nblocks = len / 16

        @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
        @inline(__always) func load(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(data[i + k]) << (8 * UInt64(k)) }
            return v
        }
        @inline(__always) func fmix(_ x: UInt64) -> UInt64 {
            var k = x
            k ^= k >> 33
            k = k &* 0xff51_afd7_ed55_8ccd
            k ^= k >> 33
            k = k &* 0xc4ce_b9fe_1a85_ec53
            k ^= k >> 33
            return k
        }

        for b in 0..<nblocks {
            var k1 = load(b * 16)
            var k2 = load(b * 16 + 8)
            k1 = k1 &* c1; k1 = rotl(k1, 31); k1 = k1 &* c2; h1 ^= k1
            h1 = rotl(h1, 27); h1 = h1 &+ h2; h1 = h1 &* 5 &+ 0x52dc_e729
            k2 = k2 &* c2; k2 = rotl(k2, 33); k2 = k2 &* c1; h2 ^= k2
            h2 = rotl(h2, 31); h2 = h2 &+ h1; h2 = h2 &* 5 &+ 0x3849_5ab5
        }

        let tail = nblocks * 16
        let rest = len & 15
        var k1: UInt64 = 0
        var k2: UInt64 = 0
        if rest > 8 {
            for i in stride(from: rest - 1, through: 8, by: -1) { k2 ^= UInt64(data[tail + i]) << (8 * UInt64(i - 8)) }
            k2 = k2 &* c2; k2 = rotl(k2, 33); k2 = k2 &* c1; h2 ^= k2
        }
        if rest > 0 {
            for i in stride(from: min(rest, 8) - 1, through: 0, by: -1) { k1 ^= UInt64(data[tail + i]) << (8 * UInt64(i)) }
            k1 = k1 &* c1; k1 = rotl(k1, 31); k1 = k1 &* c2; h1 ^= k1
        }

        h1 ^= UInt64(len); h2 ^= UInt64(len)
        h1 = h1 &+ h2; h2 = h2 &+ h1
        h1 = fmix(h1); h2 = fmix(h2)
        h1 = h1 &+ h2; h2 = h2 &+ h1
        return (h1, h2)
    }

    /// The 8 bytes a UnixFS HAMT indexes by: h1, big-endian.
    static func hamtHash(_ name: String) -> [UInt8] {
        let h1 = x64_128(Array(name.utf8)).h1
        return (0..<8).map { UInt8(truncatingIfNeeded: h1 >> (56 - 8 * UInt64($0))) }
    }
}
