package dev.tether.spi;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * The arch of an arch service, as a Declarative Services component property type (OSGi
 * Compendium, Declarative Services 1.4+, "Component Property Types"): an arch bundle's component
 * annotated {@code @TetherArch("amd64")} carries the service property
 * {@value ArchService#ARCH_PROPERTY}{@code =amd64}. The property's name comes from this type's
 * name, as DS maps a single-element annotation ({@code TetherArch} becomes {@code tether.arch}),
 * so no component spells it out by string concatenation.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface TetherArch {
    /** Tether's name of the architecture: {@code amd64} or {@code arm64}. */
    String value();
}
