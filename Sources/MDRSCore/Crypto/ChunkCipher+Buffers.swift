import CLibCrypto
import Crypto

extension ChunkCipher {
    /// Opens a sealed chunk (ciphertext ‖ tag) from `sealed` straight into `plaintext`, which
    /// must hold the ciphertext's length, and returns how many bytes it wrote.
    ///
    /// The same AES-256-GCM as ``open(_:index:isLast:)`` (nonce, additional data, tag), through
    /// OpenSSL's EVP interface, because swift-crypto's takes and returns `Data`: a download would
    /// copy every chunk into a sealed box and the plaintext again into the response's buffer.
    /// Here the ciphertext is read where PostgreSQL's answer left it and the plaintext written
    /// where the response sends it from. What is written is not the record's until this returns:
    /// on a tag that does not verify it wipes them and throws. `sealed` and `plaintext` must not
    /// overlap.
    package func open(_ sealed: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer, index: Int, isLast: Bool) throws -> Int {
        guard sealed.count >= Self.tagSize, let input = sealed.baseAddress else {
            throw GatewayError(.integrityFailure, "record \(recordId.hex) chunk \(index) is shorter than its tag")
        }
        let length = sealed.count - Self.tagSize
        guard plaintext.count >= length, let length32 = Int32(exactly: length) else {
            throw GatewayError(.integrityFailure, "record \(recordId.hex) chunk \(index) does not fit its buffer")
        }
        guard key.bitCount == 256 else {
            throw GatewayError(.integrityFailure, "record \(recordId.hex) has a data key of \(key.bitCount) bits, not 256")
        }
        guard let evp = EVP_CIPHER_CTX_new() else {
            throw GatewayError(.cryptoFailure, "OpenSSL could not make a cipher context")
        }
        defer { EVP_CIPHER_CTX_free(evp) }
        let nonce = nonceBytes(index, isLast), aad = context(index, isLast)
        var tag = Array(sealed[length...])
        // An empty chunk still has a tag; OpenSSL wants somewhere to write nothing.
        var spare = [UInt8](repeating: 0, count: 16)
        enum Outcome { case opened, rejected, failed }
        let outcome = spare.withUnsafeMutableBytes { spare -> Outcome in
            let output = (plaintext.baseAddress ?? spare.baseAddress!).assumingMemoryBound(to: UInt8.self)
            var written: Int32 = 0, finished: Int32 = 0
            guard EVP_DecryptInit_ex(evp, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_IVLEN, Int32(nonce.count), nil) == 1,
                key.withUnsafeBytes({ key in
                    nonce.withUnsafeBytes { nonce in
                        EVP_DecryptInit_ex(
                            evp, nil, nil, key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            nonce.baseAddress?.assumingMemoryBound(to: UInt8.self)) == 1
                    }
                }),
                aad.withUnsafeBufferPointer({ EVP_DecryptUpdate(evp, nil, &written, $0.baseAddress, Int32($0.count)) == 1 }),
                EVP_DecryptUpdate(evp, output, &written, input.assumingMemoryBound(to: UInt8.self), length32) == 1,
                Int(written) == length,
                tag.withUnsafeMutableBytes({ EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_TAG, Int32($0.count), $0.baseAddress) == 1 })
            else { return .failed }
            // The tag is checked here, after the plaintext was written: only now is it the record's.
            guard EVP_DecryptFinal_ex(evp, output + Int(written), &finished) == 1, finished == 0 else { return .rejected }
            return .opened
        }
        guard outcome == .opened else {
            // Bytes that did not verify are nobody's: wipe them rather than leave them to a caller.
            if length > 0 { UnsafeMutableRawBufferPointer(rebasing: plaintext[..<length]).initializeMemory(as: UInt8.self, repeating: 0) }
            ERR_clear_error()
            if outcome == .failed { throw GatewayError(.cryptoFailure, "OpenSSL could not open record \(recordId.hex) chunk \(index)") }
            throw GatewayError(.integrityFailure, "record \(recordId.hex) chunk \(index) failed authentication")
        }
        return length
    }
}
