package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrDecrypt means a stored secret could not be opened: the data was changed or
// FIGBOT_SECRET is not the one it was written with.
var ErrDecrypt = errors.New("store: cannot decrypt stored secret")

// Sealer encrypts secrets at rest with AES-256-GCM and signs values with HMAC-SHA256. Both keys
// are derived from FIGBOT_SECRET with distinct labels, so a signature never doubles as a key.
type Sealer struct {
	aead    cipher.AEAD
	signKey []byte
}

// NewSealer derives the keys from secret, which must hold at least 32 bytes.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("store: secret must be at least 32 bytes")
	}
	block, err := aes.NewCipher(derive(secret, "figbot encrypt v1"))
	if err != nil {
		return nil, fmt.Errorf("store: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: gcm: %w", err)
	}
	return &Sealer{aead: aead, signKey: derive(secret, "figbot sign v1")}, nil
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Seal encrypts plain; the result is base64 text that holds its own nonce.
func (s *Sealer) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("store: no randomness: " + err.Error())
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), nil)
	return base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", ErrDecrypt
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// Sign returns a URL-safe HMAC of msg.
func (s *Sealer) Sign(msg string) string {
	m := hmac.New(sha256.New, s.signKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:20])
}

// Verify reports whether sig is Sign(msg), in constant time.
func (s *Sealer) Verify(msg, sig string) bool {
	return hmac.Equal([]byte(s.Sign(msg)), []byte(sig))
}

// Fingerprint returns a short, stable, non-reversible name for a secret such as a token, for use
// in Redis keys and logs where the secret itself must not appear.
func (s *Sealer) Fingerprint(secret string) string {
	return s.Sign("fingerprint:" + secret)[:12]
}
