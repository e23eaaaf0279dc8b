package dev.byoos.artifact.signing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import dev.byoos.artifact.config.SigningConfig;
import dev.byoos.contract.ArtifactStored;

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

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
    private static final String RAW_ECDSA = "NONEwithECDSA";

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String publicKeyPem;
    private final String keyId;

    public ArtifactSigner(SigningConfig config) {
        try {
            this.publicKeyPem = Files.readString(config.publicKeyFile(), StandardCharsets.US_ASCII);
            this.publicKey = KeyFactory.getInstance("EC")
                    .generatePublic(new X509EncodedKeySpec(pem(publicKeyPem, "PUBLIC KEY", config.publicKeyFile())));
            this.privateKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                    pem(Files.readString(config.privateKeyFile(), StandardCharsets.US_ASCII), "PRIVATE KEY",
                            config.privateKeyFile())));
            this.keyId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the signing key (byoos.artifact.signing.*-key-file)", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the signing key files do not hold an EC key pair in PEM "
                    + "(PKCS#8 private key, SubjectPublicKeyInfo public key): " + e.getMessage(), e);
        }
        requireP256(publicKey);
        String probe = "00".repeat(32);
        if (!verifies(probe, sign(probe).value())) {
            throw new IllegalStateException("byoos.artifact.signing.public-key-file is not the public half of "
                    + "byoos.artifact.signing.private-key-file");
        }
    }

    /** sha256 of the public key's DER encoding: names the key without revealing anything. */
    public String keyId() {
        return keyId;
    }

    /** The public key as PEM, for offline verification. */
    public String publicKeyPem() {
        return publicKeyPem;
    }

    /** Signs the artifact whose SHA-256 (hex) is {@code sha256}. */
    public ArtifactStored.Signature sign(String sha256) {
        try {
            Signature signer = Signature.getInstance(RAW_ECDSA);
            signer.initSign(privateKey);
            signer.update(HexFormat.of().parseHex(sha256));
            return new ArtifactStored.Signature(FORMAT, keyId, Base64.getEncoder().encodeToString(signer.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** @return whether {@code signature} (base64 DER) is this key's signature of the artifact with digest {@code sha256} */
    public boolean verifies(String sha256, String signature) {
        try {
            Signature verifier = Signature.getInstance(RAW_ECDSA);
            verifier.initVerify(publicKey);
            verifier.update(HexFormat.of().parseHex(sha256));
            return verifier.verify(Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException | java.security.SignatureException e) {
            // Not base64, or not a DER ECDSA signature: it verifies nothing.
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("verification failed to run", e);
        }
    }

    private static byte[] pem(String text, String type, Path file) {
        Matcher matcher = PEM.matcher(text);
        while (matcher.find()) {
            if (matcher.group(1).equals(type)) {
                return Base64.getMimeDecoder().decode(matcher.group(2));
            }
        }
        throw new IllegalStateException(file + " holds no PEM block '" + type + "'"
                + (type.equals("PRIVATE KEY") ? " (convert a SEC1 'EC PRIVATE KEY' with `openssl pkcs8 -topk8 -nocrypt`)" : ""));
    }

    private static void requireP256(PublicKey key) {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            ECParameterSpec p256 = parameters.getParameterSpec(ECParameterSpec.class);
            ECParameterSpec actual = ((ECPublicKey) key).getParams();
            if (!actual.getOrder().equals(p256.getOrder()) || !actual.getCurve().equals(p256.getCurve())) {
                throw new IllegalStateException("the signing key must be on curve P-256 (secp256r1, prime256v1)");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime lacks curve P-256", e);
        }
    }
}
