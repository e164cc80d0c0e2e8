package b24fake

import (
	"slices"
	"strings"
	"time"

	"github.com/figbot/figbot/b24"
)

const maxBatch = 50

// batch runs cmd{key: "method?query"} in body order and answers like response-batch.json: HTTP
// 200 with result, result_error, result_total, result_next, result_time (each [] when empty, as
// PHP encodes an empty array). halt=1 stops at the first error. More than 50 commands is 400
// ERROR_BATCH_LENGTH_EXCEEDED; batch itself and uploads are ERROR_BATCH_METHOD_NOT_ALLOWED.
// References to earlier results ($result[key][field]) are not resolved by the fake.
func batch(s *state, c *call) (any, *apiError) {
	cmds := c.params.Map("cmd")
	if len(cmds) > maxBatch {
		return nil, badRequest("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
	}

	halt := yes(c.params.String("halt"))
	results, errs, times := map[string]any{}, map[string]any{}, map[string]any{}
	for _, key := range batchOrder(c, cmds) {
		start := time.Now()
		result, aerr := s.runCommand(cmds.String(key), c.userID)
		if aerr != nil {
			errs[key] = map[string]any{"error": aerr.code, "error_description": aerr.desc}
			if halt {
				break
			}
			continue
		}

		results[key], times[key] = result, timeInfo(start)
	}

	return map[string]any{"result": orEmpty(results), "result_error": orEmpty(errs),
		"result_total": []any{}, "result_next": []any{}, "result_time": orEmpty(times)}, nil
}

// batchOrder is the commands' keys in body order (sorted if the body order cannot be read).
func batchOrder(c *call, cmds b24.Values) []string {
	order := keyOrder(c.ctype, c.raw, "cmd")
	if len(order) == len(cmds) {
		return order
	}

	keys := make([]string, 0, len(cmds))
	for k := range cmds {
		keys = append(keys, k)
	}

	slices.Sort(keys)
	return keys
}

func (s *state) runCommand(line, userID string) (any, *apiError) {
	method, query, _ := strings.Cut(line, "?")
	method = strings.ToLower(strings.TrimSpace(method))
	if method == "batch" || strings.Contains(method, "upload") {
		return nil, &apiError{status: 405, code: "ERROR_BATCH_METHOD_NOT_ALLOWED",
			desc: "Method is not allowed for batch usage"}
	}

	const form = "application/x-www-form-urlencoded"
	params, err := b24.ParseBody(form, []byte(query))
	if err != nil {
		return nil, badRequest("INVALID_REQUEST", "Command cannot be parsed")
	}

	sub := &call{method: method, params: params, order: keyOrder(form, []byte(query), ""),
		userID: userID, inBatch: true, raw: []byte(query), ctype: form}
	return s.run(sub)
}

func orEmpty(m map[string]any) any {
	if len(m) == 0 {
		return []any{}
	}
	return m
}
