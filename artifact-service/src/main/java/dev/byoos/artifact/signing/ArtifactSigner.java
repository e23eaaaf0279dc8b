package dev.byoos.artifact.signing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import dev.byoos.artifact.config.SigningConfig;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.service.signing.EcSigningKey;

/**
 * Signs artifact digests in cosign's blob-signature format: the base64 of an ASN.1 DER
 * ECDSA-SHA256 signature over the artifact's bytes, which {@code cosign verify-blob --key} and
 * {@code openssl dgst -sha256 -verify} both check offline.
 *
 * <p>ECDSA-SHA256 signs the SHA-256 of the message; signing the digest this service already
 * computed with the raw scheme (NONEwithECDSA) yields exactly that signature, so a multi-gigabyte
 * image is never read a second time to be signed.
 */
@ApplicationScoped
public class ArtifactSigner {

    /** The {@link ArtifactStored.Signature#format()} of every signature made here. */
    public static final String FORMAT = "cosign-blob";

    private static final String RAW_ECDSA = "NONEwithECDSA";

    private final EcSigningKey key;
    /** By key id: the current public key and those of the pairs it replaced. */
    private final Map<String, PublicKey> verificationKeys = new LinkedHashMap<>();

    public ArtifactSigner(SigningConfig config) {
        this.key = EcSigningKey.load(config.privateKeyFile(), config.publicKeyFile(), "byoos.artifact.signing");
        verificationKeys.put(key.keyId(), key.publicKey());
        for (Path file : config.previousPublicKeyFiles().orElse(List.of())) {
            try {
                PublicKey previous = EcSigningKey.publicKey(Files.readString(file, StandardCharsets.US_ASCII), file);
                verificationKeys.put(EcSigningKey.keyId(previous), previous);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read byoos.artifact.signing.previous-public-key-files: " + file, e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("byoos.artifact.signing.previous-public-key-files: " + file
                        + " is not a P-256 public key in PEM: " + e.getMessage(), e);
            }
        }
    }

    /** Whether signatures made with the key {@code keyId} verify here: the current key's, or a previous one's. */
    public boolean knows(String keyId) {
        return verificationKeys.containsKey(keyId);
    }

    /** sha256 of the public key's DER encoding: names the key without revealing anything. */
    public String keyId() {
        return key.keyId();
    }

    /** The public key as PEM, for offline verification. */
    public String publicKeyPem() {
        return key.publicKeyPem();
    }

    /** Signs the artifact whose SHA-256 (hex) is {@code sha256}. */
    public ArtifactStored.Signature sign(String sha256) {
        return new ArtifactStored.Signature(FORMAT, key.keyId(),
                Base64.getEncoder().encodeToString(key.sign(RAW_ECDSA, HexFormat.of().parseHex(sha256))));
    }

    /** Signs {@code message} itself (ECDSA-SHA256): the signature of a DSSE envelope's PAE. */
    public String signMessage(byte[] message) {
        return Base64.getEncoder().encodeToString(key.sign("SHA256withECDSA", message));
    }

    /**
     * @return whether {@code signature} (base64 DER) is the signature of the artifact with digest
     *         {@code sha256} by the key {@code keyId} (current or previous; an unknown key verifies nothing)
     */
    public boolean verifies(String keyId, String sha256, String signature) {
        PublicKey publicKey = verificationKeys.get(keyId);
        if (publicKey == null) {
            return false;
        }
        try {
            return EcSigningKey.verifies(publicKey, RAW_ECDSA, HexFormat.of().parseHex(sha256),
                    Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException e) {
            // Not base64: it verifies nothing.
            return false;
        }
    }
}
