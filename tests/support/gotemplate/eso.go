package main

// External Secrets Operator's template v2 functions that the differential test covers,
// written against ESO's runtime/template/v2 behaviour (v2.9.0) with the standard library only:
// ESO's template package cannot be built from the module proxy (its runtime module is not
// served and depends on an unpublished apis module), so the oracle carries the same semantics.

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"
	"text/template"
)

func esoFuncs() template.FuncMap {
	return template.FuncMap{
		"hexdec":          hexdec,
		"certSANs":        certSANs,
		"rsaDecrypt":      rsaDecrypt,
		"filterCertChain": filterCertChain,
		"filterPEM":       filterPEM,
	}
}

// hexdec is Sprig-style: a decoding error comes back as the result text.
func hexdec(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// skipToBegin drops anything before the first "-----BEGIN" (ESO's trimJunk).
func skipToBegin(s string) string {
	if i := strings.Index(s, "-----BEGIN"); i >= 0 {
		return s[i:]
	}
	return s
}

func certSANs(input string) ([]string, error) {
	block, _ := pem.Decode([]byte(skipToBegin(input)))
	if block == nil {
		return nil, errors.New("failed to decode PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out, nil
}

func oaepHash(name string) hash.Hash {
	switch name {
	case "SHA1":
		return sha1.New()
	case "SHA512":
		return sha512.New()
	default: // "SHA256", "None" and anything else
		return sha256.New()
	}
}

func anyPrivateKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unable to parse private key type")
}

func rsaDecrypt(scheme, hashName, in, privateKey string) (string, error) {
	if scheme == "None" {
		return in, nil
	}
	if scheme != "RSA-OAEP" {
		return "", fmt.Errorf("decryption scheme %v is not supported", scheme)
	}
	block, _ := pem.Decode([]byte(privateKey))
	if block == nil {
		return "", errors.New("failed to decode PEM block")
	}
	key, err := anyPrivateKey(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("could not parse private key: %v", err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return "", errors.New("could not parse RSA private key")
	}
	out, err := rsa.DecryptOAEP(oaepHash(hashName), nil, rk, []byte(in), nil)
	if err != nil {
		return "", fmt.Errorf("error decrypting data with RSA: %v", err)
	}
	return string(out), nil
}

type chainNode struct {
	cert     *x509.Certificate
	parent   *chainNode
	isParent bool
}

// orderChain links certificates by AuthorityKeyId == SubjectKeyId (a missing id equals a
// missing id, as bytes.Equal(nil, nil) does in ESO) and returns leaf → root.
func orderChain(input string) ([]*x509.Certificate, error) {
	var nodes []*chainNode
	data := []byte(input)
	for {
		block, rest := pem.Decode(data)
		data = rest
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, &chainNode{cert: c})
	}
	for i := range nodes {
		for j := range nodes {
			if i != j && bytes.Equal(nodes[i].cert.AuthorityKeyId, nodes[j].cert.SubjectKeyId) {
				nodes[j].isParent = true
				nodes[i].parent = nodes[j]
				break
			}
		}
	}
	var leaf *chainNode
	for _, n := range nodes {
		if !n.isParent {
			if leaf != nil {
				return nil, errors.New("found multiple leaf or disjunct certificates")
			}
			leaf = n
		}
	}
	if leaf == nil {
		return nil, errors.New("no leaf certificate found")
	}
	var chain []*x509.Certificate
	for n := leaf; n != nil; n = n.parent {
		if len(chain) == len(nodes) {
			return nil, errors.New("constructing chain resulted in cycle")
		}
		chain = append(chain, n.cert)
	}
	return chain, nil
}

func isRoot(c *x509.Certificate) bool {
	return c.AuthorityKeyId == nil || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func filterCertChain(certType, input string) (string, error) {
	chain, err := orderChain(input)
	if err != nil {
		return "", err
	}
	switch certType {
	case "leaf":
		c := chain[0]
		if c.AuthorityKeyId != nil && !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
			return certPEM(c), nil
		}
	case "intermediate":
		var out strings.Builder
		for _, c := range chain[1:] {
			if isRoot(c) {
				break
			}
			out.WriteString(certPEM(c))
		}
		return out.String(), nil
	case "root":
		if c := chain[len(chain)-1]; isRoot(c) {
			return certPEM(c), nil
		}
	}
	return "", nil
}

func filterPEM(pemType, input string) (string, error) {
	data := []byte(skipToBegin(input))
	var out bytes.Buffer
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			if out.Len() == 0 && len(rest) != 0 {
				return "", errors.New("error filtering pem: found junk")
			}
			return out.String(), nil
		}
		data = rest
		if strings.EqualFold(block.Type, pemType) {
			if err := pem.Encode(&out, block); err != nil {
				return "", err
			}
		}
	}
}
