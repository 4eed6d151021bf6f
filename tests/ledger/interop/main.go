// Command interop checks the ledger's published data with Go's reference code for signed
// notes and transparency logs (golang.org/x/mod/sumdb/note and tlog), which nobody in this
// project wrote. It reads a folder holding log.vkey, entries (one leaf per line, hex),
// checkpoints/<size> (signed notes), inclusion and consistency (one proof per line:
// "<index or old size> <tree size> <hex hash>,<hex hash>,..."), and prints one line per
// check: "<what> ok" or "<what> reject: <reason>".
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type hashes []tlog.Hash

func (h hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = h[x]
	}
	return out, nil
}

func lines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<26)
	for s.Scan() {
		if t := strings.TrimSpace(s.Text()); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func parseHashes(text string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, part := range strings.Split(text, ",") {
		if part == "" {
			continue
		}
		raw, err := hex.DecodeString(part)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("bad hash %q", part)
		}
		var h tlog.Hash
		copy(h[:], raw)
		out = append(out, h)
	}
	return out, nil
}

func main() {
	dir := os.Args[1]
	vkey, err := os.ReadFile(filepath.Join(dir, "log.vkey"))
	if err != nil {
		fmt.Println("vkey reject:", err)
		os.Exit(1)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		fmt.Println("vkey reject:", err)
		os.Exit(1)
	}
	var leaves [][]byte
	for _, l := range lines(filepath.Join(dir, "entries")) {
		raw, _ := hex.DecodeString(l)
		leaves = append(leaves, raw)
	}
	var stored hashes
	for i, leaf := range leaves {
		more, err := tlog.StoredHashes(int64(i), leaf, stored)
		if err != nil {
			fmt.Println("entries reject:", err)
			os.Exit(1)
		}
		stored = append(stored, more...)
	}
	roots := map[int64]tlog.Hash{}
	paths, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
	for _, path := range paths {
		what := "checkpoint " + filepath.Base(path)
		msg, _ := os.ReadFile(path)
		n, err := note.Open(msg, note.VerifierList(verifier))
		if err != nil {
			fmt.Println(what, "reject:", err)
			continue
		}
		body := strings.Split(n.Text, "\n")
		if len(body) != 4 || body[3] != "" || body[0] != verifier.Name() {
			fmt.Println(what, "reject: not a three-line checkpoint of this log")
			continue
		}
		size, err1 := strconv.ParseInt(body[1], 10, 64)
		raw, err2 := base64.StdEncoding.DecodeString(body[2])
		if err1 != nil || err2 != nil || len(raw) != tlog.HashSize {
			fmt.Println(what, "reject: malformed size or root")
			continue
		}
		var root tlog.Hash
		copy(root[:], raw)
		if size > int64(len(leaves)) {
			fmt.Println(what, "reject: larger than the entries given")
			continue
		}
		computed, err := tlog.TreeHash(size, stored)
		if err != nil || computed != root {
			fmt.Println(what, "reject: root differs from tlog.TreeHash")
			continue
		}
		roots[size] = root
		fmt.Println(what, "ok")
	}
	for _, l := range lines(filepath.Join(dir, "inclusion")) {
		f := strings.Fields(l + " ")
		what := "inclusion " + f[0] + " " + f[1]
		index, _ := strconv.ParseInt(f[0], 10, 64)
		size, _ := strconv.ParseInt(f[1], 10, 64)
		proof, err := parseHashes(strings.Join(f[2:], ""))
		root, known := roots[size]
		if err != nil || !known || index < 0 || index >= int64(len(leaves)) {
			fmt.Println(what, "reject: malformed, or no verified checkpoint of that size")
			continue
		}
		if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(leaves[index])); err != nil {
			fmt.Println(what, "reject:", err)
			continue
		}
		fmt.Println(what, "ok")
	}
	for _, l := range lines(filepath.Join(dir, "consistency")) {
		f := strings.Fields(l + " ")
		what := "consistency " + f[0] + " " + f[1]
		old, _ := strconv.ParseInt(f[0], 10, 64)
		size, _ := strconv.ParseInt(f[1], 10, 64)
		proof, err := parseHashes(strings.Join(f[2:], ""))
		oldRoot, known1 := roots[old]
		newRoot, known2 := roots[size]
		if err != nil || !known1 || !known2 {
			fmt.Println(what, "reject: malformed, or no verified checkpoints of those sizes")
			continue
		}
		if err := tlog.CheckTree(proof, size, newRoot, old, oldRoot); err != nil {
			fmt.Println(what, "reject:", err)
			continue
		}
		fmt.Println(what, "ok")
	}
}
