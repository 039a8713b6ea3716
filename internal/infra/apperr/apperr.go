// Package apperr defines the errors the graph shows to clients. Every error a
// client sees carries extensions.code; anything that is not an *Error is an
// internal fault and is reported only as INTERNAL with a request id.
package apperr

import (
	"errors"
	"fmt"
)

// Error is a fault the client can act on. Message and Extensions must never
// hold personal data: they are returned as they are and may be logged.
type Error struct {
	Code       Code
	Message    string
	Extensions map[string]any
}

func (e *Error) Error() string { return e.Message }

// With returns a copy of e with one more extension.
func (e *Error) With(key string, value any) *Error {
	ext := make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		ext[k] = v
	}
	ext[key] = value
	return &Error{Code: e.Code, Message: e.Message, Extensions: ext}
}

// New builds an error with a code of the catalogue (codes.go).
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadInput is a BAD_USER_INPUT error.
func BadInput(format string, args ...any) *Error {
	return New(CodeBadUserInput, format, args...)
}

// BadField is a BAD_USER_INPUT error about one input field.
func BadField(field, format string, args ...any) *Error {
	return BadInput(format, args...).With("field", field)
}

// Unauthenticated is returned when a signed-in user is needed.
func Unauthenticated() *Error {
	return New(CodeUnauthenticated, "sign in first")
}

// Forbidden is returned when the viewer may not do or see something.
func Forbidden(format string, args ...any) *Error {
	return New(CodeForbidden, format, args...)
}

// NotFound names the kind of thing that was not found, never its content.
func NotFound(kind string) *Error {
	return New(CodeNotFound, "%s not found", kind)
}

// RateLimited tells the client how long to wait.
func RateLimited(retryAfterSeconds int) *Error {
	return New(CodeRateLimited, "too many requests; try again in %d s", retryAfterSeconds).
		With("retryAfter", retryAfterSeconds)
}

// As finds an *Error in err's chain.
func As(err error) (*Error, bool) {
	var ie *InputError // before its cause, whose error lacks the field
	if errors.As(err, &ie) {
		return ie.AppError(), true
	}
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns err's code, or INTERNAL.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return CodeInternal
}
