package dev.byoos.pack.render;

/** The Palette OS pack a rendered pack stands in for; it decides the values.yaml layout. */
public enum PackKind {
    /** Bring Your Own OS for cloud and data-centre clusters: {@code pack.osImageOverride/osName/osVersion}. */
    GENERIC_BYOI("generic-byoi"),
    /** Bring Your Own OS for Palette Edge: the OS is an OCI image ({@code options.system.uri}). */
    EDGE_NATIVE_BYOI("edge-native-byoi");

    private final String paletteName;

    PackKind(String paletteName) {
        this.paletteName = paletteName;
    }

    /** The name of Palette's own pack of this kind. */
    public String paletteName() {
        return paletteName;
    }
}
