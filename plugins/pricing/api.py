"""The pricing module's REST API: price lists and their rules, and the price simulation."""

from flask.views import MethodView
from flask_smorest import Blueprint

from plugins.pricing import services
from plugins.pricing.schemas import (
    PriceListCreateSchema,
    PriceListDetailSchema,
    PriceListSchema,
    PriceListUpdateSchema,
    PriceRuleCreateSchema,
    PriceRuleSchema,
    SimulationResultSchema,
    SimulationSchema,
)
from plugins.sales.pages import hook
from web.api import refusals
from web.auth import role_required
from web.database import db, reads_only


def price_lists_blueprint():
    """``/api/v1/price-lists``: price lists (trade agreements) and their rules."""
    blp = Blueprint("price_lists_api", __name__, url_prefix="/api/v1/price-lists",
                    description="Price lists (trade agreements) and their rules")

    @blp.route("")
    class PriceLists(MethodView):
        decorators = [role_required("sales")]

        @blp.response(200, PriceListSchema(many=True))
        def get(self):
            """Every price list, by name."""
            return [price_list for price_list, _count in services.list_price_lists(db())]

        @blp.arguments(PriceListCreateSchema)
        @blp.response(201, PriceListDetailSchema)
        def post(self, data):
            """Create a price list in one currency (active unless said otherwise)."""
            price_list = services.create_price_list(db(), data)
            db().commit()
            return price_list

    @blp.route("/<id:list_id>")
    class PriceListItem(MethodView):
        decorators = [role_required("sales")]

        @blp.response(200, PriceListDetailSchema)
        @refusals(blp, 404)
        def get(self, list_id):
            """One price list with its rules."""
            return services.get_price_list(db(), list_id)

        @blp.arguments(PriceListUpdateSchema, required=False)  # nothing sent: no change
        @blp.response(200, PriceListDetailSchema)
        @refusals(blp, 404)
        def patch(self, data, list_id):
            """Rename, deactivate or activate a price list; confirmed orders keep their prices."""
            price_list = services.update_price_list(db(), services.get_price_list(db(), list_id),
                                                    data)
            db().commit()
            return price_list

    @blp.route("/<id:list_id>/rules", methods=["POST"])
    @blp.arguments(PriceRuleCreateSchema)
    @blp.response(201, PriceRuleSchema)
    @refusals(blp, 404)
    @role_required("sales")
    def add_rule(data, list_id):
        """Add a rule: a fixed price or a discount for an item, an item group or every item."""
        rule = services.add_rule(db(), services.get_price_list(db(), list_id), data)
        db().commit()
        return rule

    @blp.route("/<id:list_id>/rules/<id:rule_id>", methods=["DELETE"])
    @blp.response(204)
    @refusals(blp, 404)
    @role_required("sales")
    def delete_rule(list_id, rule_id):
        """Delete a rule of a price list."""
        services.delete_rule(db(), services.get_price_list(db(), list_id), rule_id)
        db().commit()

    return blp


def pricing_blueprint():
    """``/api/v1/pricing``: the price simulation."""
    blp = Blueprint("pricing_api", __name__, url_prefix="/api/v1/pricing",
                    description="Price simulation")

    @blp.route("/simulate", methods=["POST"])
    @blp.arguments(SimulationSchema)
    @blp.response(200, SimulationResultSchema)
    @role_required("sales")
    @reads_only
    def simulate(data):
        """Price a hypothetical order and explain every line, without saving anything."""
        return services.simulate(db(), hook(), data)

    return blp
