package dev.byoos.localauth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

/** A key pair kept as two PEM files (PKCS#8 private, SubjectPublicKeyInfo public), made once. */
final class KeyPairFiles {

    private KeyPairFiles() {
    }

    /**
     * Generates the pair into {@code privateFile} and {@code publicFile} unless both exist. The
     * private key is readable by the owner only and appears last, complete or not at all.
     */
    static void ensure(Path privateFile, Path publicFile, KeyPairGenerator generator) throws IOException {
        if (Files.isRegularFile(privateFile) && Files.isRegularFile(publicFile)) {
            return;
        }
        Path dir = privateFile.getParent();
        Files.createDirectories(dir);
        KeyPair pair = generator.generateKeyPair();
        Path temporary = Files.createTempFile(dir, privateFile.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temporary, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        Files.move(temporary, privateFile, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The DER bytes of a PEM file's first block. */
    static byte[] read(Path file) throws IOException {
        String encoded = Files.readString(file).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(encoded);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
