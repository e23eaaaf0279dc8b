package dev.byoos.service.signing;

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
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The installation's one signing key: an ECDSA P-256 key pair in PEM files (PKCS#8 private key,
 * SubjectPublicKeyInfo public key), which artifact-service signs artifacts and provenance with and
 * pack-publisher signs pack manifests with. Signatures are ASN.1 DER ECDSA-SHA256, the form
 * cosign and {@code openssl dgst -sha256 -verify} check.
 */
public final class EcSigningKey {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String publicKeyPem;
    private final String keyId;

    private EcSigningKey(PrivateKey privateKey, PublicKey publicKey, String publicKeyPem) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.publicKeyPem = publicKeyPem;
        this.keyId = keyId(publicKey);
    }

    /**
     * @param settingPrefix the configuration keys naming the files, for the messages ({@code byoos.artifact.signing})
     * @throws IllegalStateException when the files hold no matching P-256 key pair
     */
    public static EcSigningKey load(Path privateKeyFile, Path publicKeyFile, String settingPrefix) {
        EcSigningKey key;
        try {
            String publicPem = Files.readString(publicKeyFile, StandardCharsets.US_ASCII);
            PublicKey publicKey = publicKey(publicPem, publicKeyFile);
            PrivateKey privateKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                    pem(Files.readString(privateKeyFile, StandardCharsets.US_ASCII), "PRIVATE KEY", privateKeyFile)));
            key = new EcSigningKey(privateKey, publicKey, publicPem);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the signing key (" + settingPrefix + ".*-key-file)", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the signing key files do not hold an EC key pair in PEM "
                    + "(PKCS#8 private key, SubjectPublicKeyInfo public key): " + e.getMessage(), e);
        }
        byte[] probe = new byte[32];
        if (!verifies(key.publicKey, "SHA256withECDSA", probe, key.sign("SHA256withECDSA", probe))) {
            throw new IllegalStateException(settingPrefix + ".public-key-file is not the public half of "
                    + settingPrefix + ".private-key-file");
        }
        return key;
    }

    /** A P-256 public key from PEM (SubjectPublicKeyInfo). */
    public static PublicKey publicKey(String pem, Path file) throws GeneralSecurityException {
        PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(pem(pem, "PUBLIC KEY", file)));
        requireP256(key);
        return key;
    }

    /** sha256 of the public key's DER encoding: names the key without revealing anything. */
    public static String keyId(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String keyId() {
        return keyId;
    }

    public String publicKeyPem() {
        return publicKeyPem;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /**
     * @param algorithm {@code SHA256withECDSA} over a message, or {@code NONEwithECDSA} over a
     *                  SHA-256 digest computed already (the same signature)
     * @return the DER signature
     */
    public byte[] sign(String algorithm, byte[] data) {
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(data);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** @return whether {@code signature} (DER) is {@code key}'s signature of {@code data} */
    public static boolean verifies(PublicKey key, String algorithm, byte[] data, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (SignatureException e) {
            // Not a DER ECDSA signature: it verifies nothing.
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("verification failed to run", e);
        }
    }

    private static byte[] pem(String text, String type, Path file) {
        Matcher matcher = PEM.matcher(text);
        while (matcher.find()) {
            if (matcher.group(1).equals(type)) {
                return java.util.Base64.getMimeDecoder().decode(matcher.group(2));
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
