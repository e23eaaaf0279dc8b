package dev.byoos.localauth;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/**
 * The local stack's artifact signing key: an ECDSA P-256 pair in PEM files, made once per data
 * directory, that artifact-service signs artifact digests with. Production deployments mount
 * their own key at the same configuration keys; tests make theirs with this class too.
 *
 * @param privateKeyFile PKCS#8 PEM ({@code byoos.artifact.signing.private-key-file})
 * @param publicKeyFile  SubjectPublicKeyInfo PEM ({@code byoos.artifact.signing.public-key-file}), what
 *                       anyone verifies signatures with offline
 */
public record LocalSigningKeys(Path privateKeyFile, Path publicKeyFile) {

    private static final String PRIVATE_KEY_FILE = "artifact-signing-key.pem";
    private static final String PUBLIC_KEY_FILE = "artifact-signing-key.pub";

    /** The pair in {@code dir}, created on first use. */
    public static synchronized LocalSigningKeys in(Path dir) throws IOException {
        LocalSigningKeys keys = new LocalSigningKeys(dir.resolve(PRIVATE_KEY_FILE), dir.resolve(PUBLIC_KEY_FILE));
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPairFiles.ensure(keys.privateKeyFile, keys.publicKeyFile, generator);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot create the artifact signing key in " + dir, e);
        }
        return keys;
    }
}
