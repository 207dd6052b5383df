// Package gold compares an extracted report with the hand-checked cell
// values of tests/gold/<seed>.cells.csv (see tests/gold/README.md), naming
// each cell by its labels through the server's TemplateDefinition.
package gold

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// Cell is one line of a cells.csv file.
type Cell struct {
	Section, Row, Column string
	// Expected in the gold notation: "12", "+48", "32248.5", "blank",
	// "missing", "n/a", "text" or "text=22".
	Expected string
}

// Load reads a cells.csv file.
func Load(path string) ([]Cell, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(records) == 0 || strings.Join(records[0], ",") != "section,row,column,expected" {
		return nil, fmt.Errorf("%s: not a gold cells file", path)
	}
	cells := make([]Cell, 0, len(records)-1)
	for _, r := range records[1:] {
		cells = append(cells, Cell{Section: r[0], Row: r[1], Column: r[2], Expected: r[3]})
	}
	return cells, nil
}

// Path is the AnnualReport field path of the cell labeled (section, row,
// column) in the template, e.g. "proactive_disclosure_2021.rules.issued".
func Path(t *govreportv1.TemplateDefinition, section, row, column string) (string, error) {
	for _, table := range t.GetTables() {
		if table.GetSection() != section {
			continue
		}
		for _, r := range table.GetRows() {
			if r.GetLabel() != row {
				continue
			}
			for _, c := range r.GetColumns() {
				if c.GetLabel() == column {
					if c.GetField() == "" {
						return r.GetField(), nil
					}
					return r.GetField() + "." + c.GetField(), nil
				}
			}
		}
	}
	return "", fmt.Errorf("no cell %s | %s | %s in the template", section, row, column)
}

// Lookup returns the Cell at a field path of report, or nil when a message
// on the way (or the cell itself) is not set: not part of the template.
func Lookup(report *govreportv1.AnnualReport, path string) (*govreportv1.Cell, error) {
	m := report.ProtoReflect()
	for _, name := range strings.Split(path, ".") {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || fd.Message() == nil {
			return nil, fmt.Errorf("%s: no message field %q", path, name)
		}
		if !m.Has(fd) {
			return nil, nil
		}
		m = m.Get(fd).Message()
	}
	cell, ok := m.Interface().(*govreportv1.Cell)
	if !ok {
		return nil, fmt.Errorf("%s: a %s, not a Cell", path, m.Descriptor().FullName())
	}
	return cell, nil
}

// Notation writes a cell in the gold notation, so that it compares with
// Cell.Expected as a string.
func Notation(c *govreportv1.Cell) string {
	if c == nil {
		return "(not set)"
	}
	value := ""
	switch v := c.GetValue().(type) {
	case *govreportv1.Cell_Count:
		value = strconv.FormatInt(v.Count, 10)
	case *govreportv1.Cell_Amount:
		value = v.Amount
	case *govreportv1.Cell_Change:
		value = strconv.FormatInt(v.Change, 10)
		if v.Change > 0 {
			value = "+" + value
		}
	}
	switch c.GetState() {
	case govreportv1.CellState_CELL_STATE_NUMBER:
		return value
	case govreportv1.CellState_CELL_STATE_BLANK:
		return "blank"
	case govreportv1.CellState_CELL_STATE_MISSING:
		return "missing"
	case govreportv1.CellState_CELL_STATE_NOT_APPLICABLE:
		return "n/a"
	case govreportv1.CellState_CELL_STATE_TEXT:
		if value != "" {
			return "text=" + value
		}
		return "text"
	}
	return c.GetState().String()
}

// Compare returns one line per gold cell that the report does not match.
func Compare(t *govreportv1.TemplateDefinition, report *govreportv1.AnnualReport, cells []Cell) []string {
	var diffs []string
	for _, g := range cells {
		path, err := Path(t, g.Section, g.Row, g.Column)
		if err != nil {
			diffs = append(diffs, err.Error())
			continue
		}
		cell, err := Lookup(report, path)
		if err != nil {
			diffs = append(diffs, err.Error())
			continue
		}
		if got := Notation(cell); got != g.Expected {
			diffs = append(diffs, fmt.Sprintf("%s (%s | %s): got %s, gold %s", path, g.Row, g.Column, got, g.Expected))
		}
	}
	return diffs
}
