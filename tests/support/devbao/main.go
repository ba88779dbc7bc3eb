// Command bao is devbao: a small, in-memory, Vault-API-compatible dev server that follows
// OpenBao's documented behaviour. It stands in for the real OpenBao in integration tests
// until the real module can be built (see README.md for what differs).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Version is what `bao version`, sys/health and sys/seal-status report.
const Version = "2.6.1+devbao"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: bao <version|server -dev ...>")
		return 1
	}
	switch args[0] {
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "OpenBao v%s (API-compatible test server)\n", Version)
		return 0
	case "server":
		return runServer(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "Unknown command %q: devbao implements only \"version\" and \"server -dev\"\n", args[0])
		return 1
	}
}

type serverFlags struct {
	dev         bool
	listen      string
	rootToken   string
	tlsCert     string
	tlsKey      string
	tlsClientCA string
	standbyOf   string
}

func parseServerFlags(args []string, stderr io.Writer) (serverFlags, error) {
	var f serverFlags
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.dev, "dev", false, "run the in-memory dev server")
	fs.StringVar(&f.listen, "dev-listen-address", "127.0.0.1:8200", "address to listen on; port 0 picks a free port")
	fs.StringVar(&f.rootToken, "dev-root-token-id", "", "root token id (or env BAO_DEV_ROOT_TOKEN_ID)")
	fs.StringVar(&f.tlsCert, "dev-tls-cert-file", "", "PEM certificate for TLS")
	fs.StringVar(&f.tlsKey, "dev-tls-key-file", "", "PEM key for TLS")
	fs.StringVar(&f.tlsClientCA, "dev-tls-client-ca-file", "", "PEM CA; when set, client certificates are required (mTLS)")
	fs.StringVar(&f.standbyOf, "dev-standby-of", "", "act as a standby of this active node's address: sys/health answers 429 standby, every other request a 307 redirect to the active node (OpenBao with request forwarding off)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if !f.dev {
		return f, errors.New("devbao only supports dev mode: pass -dev")
	}
	if f.rootToken == "" {
		f.rootToken = os.Getenv("BAO_DEV_ROOT_TOKEN_ID")
	}
	if f.rootToken == "" {
		f.rootToken = newTokenID()
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return f, errors.New("-dev-tls-cert-file and -dev-tls-key-file go together")
	}
	if f.tlsClientCA != "" && f.tlsCert == "" {
		return f, errors.New("-dev-tls-client-ca-file needs -dev-tls-cert-file and -dev-tls-key-file")
	}
	return f, nil
}

func tlsConfig(f serverFlags) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("loading TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.tlsClientCA != "" {
		pem, err := os.ReadFile(f.tlsClientCA)
		if err != nil {
			return nil, fmt.Errorf("reading client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificates in client CA file %q", f.tlsClientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func runServer(args []string, stdout, stderr io.Writer) int {
	f, err := parseServerFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintf(stderr, "Error initializing listener: %v\n", err)
		return 1
	}
	scheme := "http"
	if f.tlsCert != "" {
		cfg, err := tlsConfig(f)
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			return 1
		}
		ln = tls.NewListener(ln, cfg)
		scheme = "https"
	}
	srv := NewServer(f.rootToken)
	var handler http.Handler = srv
	if f.standbyOf != "" {
		handler = standbyHandler(strings.TrimRight(f.standbyOf, "/"))
	}
	httpServer := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	addr := fmt.Sprintf("%s://%s", scheme, ln.Addr().String())
	// The banner mirrors `bao server -dev`; the root token is deliberately not printed, so
	// captured server output never holds a credential.
	fmt.Fprintf(stdout, "==> OpenBao server configuration:\n\n")
	fmt.Fprintf(stdout, "             Api Address: %s\n", addr)
	fmt.Fprintf(stdout, "                     Cgo: disabled\n")
	fmt.Fprintf(stdout, "              Listener 1: tcp (addr: %q, tls: %q)\n", ln.Addr().String(), map[bool]string{true: "enabled", false: "disabled"}[scheme == "https"])
	fmt.Fprintf(stdout, "                 Storage: inmem\n")
	fmt.Fprintf(stdout, "                 Version: OpenBao v%s (API-compatible test server)\n\n", Version)
	fmt.Fprintf(stdout, "==> OpenBao server started! Log data will stream in below:\n\n")
	fmt.Fprintf(stdout, "WARNING! dev mode is enabled! In this mode, OpenBao runs entirely in-memory\n")
	fmt.Fprintf(stdout, "and starts unsealed with a single unseal key. The root token was set from\n")
	fmt.Fprintf(stdout, "-dev-root-token-id (or BAO_DEV_ROOT_TOKEN_ID) and is not printed by devbao.\n")
	if fl, ok := stdout.(*os.File); ok {
		_ = fl.Sync()
	}

	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-sigc:
		fmt.Fprintf(stdout, "==> OpenBao shutdown triggered (%s)\n", sig)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(ctx)
		srv.Close()
		return 0
	case err := <-errc:
		fmt.Fprintf(stderr, "Error serving: %v\n", err)
		return 1
	}
}
