package io.github.libvirthooks.features.domain;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.xml.sax.EntityResolver;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The one way this program reads XML (domain XML, libvirt's network files): no DTDs, no
 * external entities or schemas, no XInclude, a bounded element depth. XML comes from users and
 * from files another program wrote, so it is treated as hostile.
 */
public final class SafeXml {
    private SafeXml() {
    }

    /** A namespace-aware, hardened document builder that reports errors only by exception. */
    public static DocumentBuilder builder() {
        try {
            // The JDK's own parser, not one a system property or jaxp.properties names: the factory lookup also costs a cold
            // hook JVM about 25 ms (its string concatenations and lambdas bootstrap method handles the archive cannot hold).
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            // Deep nesting overflows the parser's stack long before any size limit; libvirt's XML nests a few levels.
            factory.setAttribute("jdk.xml.maxElementDepth", "256");
            factory.setFeature("http://apache.org/xml/features/dom/defer-node-expansion", false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            builder.setEntityResolver(new NoExternalEntities());
            return builder;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a safety feature: " + e.getMessage(), e);
        }
    }

    /** Refuses every external entity (a class, not a lambda: no call-site bootstrap on the hook's path). */
    private static final class NoExternalEntities implements EntityResolver {
        @Override
        public InputSource resolveEntity(String publicId, String systemId) throws SAXException {
            throw new SAXException("external entities are not allowed");
        }
    }
}
